// One configuration of the delay scenario: a broker on one engine loaded
// with N pending timers (due an hour or two later, so they weigh on the
// timer log and the wheel without being measured), then probes due a few
// seconds out, each stamped by a long-polling consumer as it arrives; then
// a SIGKILL with timers due during the downtime, and a restart.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BrokerProcess } from '../broker-process.js';
import type { LabContext } from '../context.js';
import type { Random } from '../random.js';
import { deliveryOf, idOf, inFlight, RocketClient, rocketMessage, type Received } from '../rocketmq-client.js';

export interface DelaySizes {
  probes: number;
  /** Probes are due over this long, from leadMs after the last one was sent. */
  probeSpreadMs: number;
  leadMs: number;
  /** Messages a SendMessage request while loading the pending timers, and requests in flight. */
  perRequest: number;
  window: number;
  bodyBytes: number;
  /** Timers due 0.3–0.8 s after they are sent, the SIGKILL following the send: the broker is down or starting when they fall due. */
  overdue: number;
  /** Timers due `laterFromMs` + 0.2 s to + 2.2 s after they are sent: after the restart, normally. */
  later: number;
  laterFromMs: number;
}

export interface Arrivals {
  sent: number;
  received: number;
  duplicated: number;
  /** Lateness (arrival - delivery time), ms, of each message's first arrival. */
  lateness: number[];
  /** Arrivals before their delivery time. */
  early: number;
}

export interface DelayRun {
  engine: 'segmented' | 'commitlog';
  pending: number;
  fillSeconds: number;
  probes: Arrivals;
  /** The lab's own longest event-loop stall while the probes came, ms: a stamp taken late by the measuring side, not the broker. */
  labStallMs: number;
  restart: {
    /** Spawn to listening, the timer log read and the wheel rebuilt on the way. */
    startupMs: number;
    /** Due before the restarted broker listened. */
    overdue: Arrivals;
    /** Messages in the restart topic (appended by the timer) as soon as the restarted broker listened: a Kafka ListOffsets. */
    queuedAtListen: number;
    /** Their arrival after the restart began (the new process spawned), ms. */
    overdueAfterSpawn: number[];
    /** Due after it listened. */
    later: Arrivals;
  };
}

const GROUP = 'lab-delay';
const HOUR = 3_600_000;

export async function delayRun(ctx: LabContext, engine: DelayRun['engine'], pending: number, s: DelaySizes, random: Random): Promise<DelayRun> {
  // The default bound is 1,000,000 pending timers: room for the probes on top of a million.
  const extra = ['--set', `timer.max.pending.messages=${Math.max(1_000_000, 2 * pending)}`];
  let b: BrokerProcess = await ctx.startBroker({ engine, rocketmq: true, extra });
  const c = new RocketClient(b.rocketmqEndpoint!);
  try {
    await ctx.admin(b, async (a) => {
      for (const t of ['filler', 'probe', 'restart']) await a.createTopic(t, 1, { 'message.type': 'DELAY' });
    });
    const body = Buffer.alloc(s.bodyBytes, 'd');
    ctx.progress(`delay: ${engine}, loading ${pending.toLocaleString('en-US')} pending timers`);
    const from = Date.now() + HOUR;
    const requests = Math.ceil(pending / s.perRequest);
    const fillSeconds = await inFlight(requests, s.window, async (i) => {
      const n = Math.min(s.perRequest, pending - i * s.perRequest);
      await c.send(Array.from({ length: n }, (_, k) => rocketMessage('filler', 'DELAY', body, from + Math.floor(((i * s.perRequest + k) * HOUR) / pending))));
    });

    ctx.progress(`delay: ${engine}, ${pending.toLocaleString('en-US')} pending: ${s.probes} probes`);
    // Each probe at a random point of the spread, so probes fall at every position inside the wheel's slots.
    const offsets = Array.from({ length: s.probes }, () => Math.floor(random.next() * s.probeSpreadMs)).sort((x, y) => x - y);
    const probes = await sendDue(c, 'probe', body, offsets, s.leadMs);
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const probeArrivals = await collect(c, 'probe', probes, Date.now() + s.leadMs + s.probeSpreadMs + 60_000);
    stalls.disable();

    ctx.progress(`delay: ${engine}, ${pending.toLocaleString('en-US')} pending: SIGKILL and restart`);
    const overdueOffsets = Array.from({ length: s.overdue }, (_, i) => 100 + Math.floor((i * 500) / s.overdue));
    const laterOffsets = Array.from({ length: s.later }, (_, i) => s.laterFromMs + Math.floor((i * 2_000) / s.later));
    const due = await sendDue(c, 'restart', body, [...overdueOffsets, ...laterOffsets], 0);
    const arrivals = new Map<string, Received[]>();
    const receiving = c.receiveUntil({ group: GROUP, topic: 'restart' }, (r) => arrivals.set(idOf(r.message), [...(arrivals.get(idOf(r.message)) ?? []), r]), () => arrivals.size >= due.size, Date.now() + s.laterFromMs + 90_000);
    b = await ctx.crashAndRestart(b);
    const listenedAt = Date.now();
    const spawnAt = listenedAt - b.startupMs;
    const queuedAtListen = Number((await ctx.admin(b, (a) => a.offsets('restart', [0], -1n))).get(0) ?? 0n);
    await receiving;
    const overdue = new Map([...due].filter(([, ms]) => ms < listenedAt));
    const later = new Map([...due].filter(([, ms]) => ms >= listenedAt));
    const firstArrivals = (ids: Map<string, number>): number[] => [...ids.keys()].flatMap((id) => (arrivals.has(id) ? [arrivals.get(id)![0]!.at] : []));
    return {
      engine,
      pending,
      fillSeconds,
      probes: probeArrivals,
      labStallMs: stalls.max / 1e6,
      restart: {
        startupMs: b.startupMs,
        overdue: tally(overdue, arrivals),
        queuedAtListen,
        overdueAfterSpawn: firstArrivals(overdue).map((at) => at - spawnAt),
        later: tally(later, arrivals),
      },
    };
  } finally {
    c.close();
    await ctx.stopBroker(b);
  }
}

/** Sends messages due `lead` + each offset ms after the requests are answered; resolves to their ids and delivery times. */
async function sendDue(c: RocketClient, topic: string, body: Buffer, offsets: number[], lead: number): Promise<Map<string, number>> {
  // 200 ms for the requests themselves, so sending does not eat into the lead.
  const t0 = Date.now() + lead + 200;
  const messages = offsets.map((o) => rocketMessage(topic, 'DELAY', body, t0 + o));
  for (let i = 0; i < messages.length; i += 100) await c.send(messages.slice(i, i + 100));
  if (lead > 0 && Date.now() >= t0) throw new Error(`sending ${messages.length} probes took longer than the ${lead + 200} ms they had`);
  return new Map(messages.map((m, i) => [idOf(m), t0 + offsets[i]!]));
}

async function collect(c: RocketClient, topic: string, sent: Map<string, number>, deadline: number): Promise<Arrivals> {
  const arrivals = new Map<string, Received[]>();
  await c.receiveUntil({ group: GROUP, topic }, (r) => arrivals.set(idOf(r.message), [...(arrivals.get(idOf(r.message)) ?? []), r]), () => arrivals.size >= sent.size, deadline);
  return tally(sent, arrivals);
}

function tally(sent: Map<string, number>, arrivals: Map<string, Received[]>): Arrivals {
  const lateness: number[] = [];
  let duplicated = 0;
  let early = 0;
  for (const id of sent.keys()) {
    const got = arrivals.get(id);
    if (!got) continue;
    duplicated += got.length - 1;
    const late = got[0]!.at - deliveryOf(got[0]!.message);
    if (late < 0) early++;
    lateness.push(late);
  }
  return { sent: sent.size, received: lateness.length, duplicated, lateness, early };
}
