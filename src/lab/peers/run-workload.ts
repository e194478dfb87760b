// One workload against one driver, in OpenMessaging Benchmark's shape:
// topics with partitions, producers and subscriptions per topic, consumers
// per subscription. Phases: a short warm-up; flat out (producers as fast
// as acknowledgements allow, consumers running: produce and consume rates,
// CPU per message); with producerRate 0, a search for the highest rate the
// system sustains with consumers keeping up; paced at the rate (end-to-end
// latency); with consumerBacklogSizeGB, a backlog built with the consumers
// away and then drained. Each phase waits until every subscription has
// every acknowledged message (or nothing arrives for a while).
import type { PeerConsumer, PeerDriver, PeerProducer } from './driver.js';
import { ProducerLoop } from './load.js';
import { Meter, type PhaseFigures } from './meter.js';
import { payloadTemplate } from './payload.js';
import type { Random } from '../random.js';

export interface PeerWorkload {
  name: string;
  topics: number;
  partitionsPerTopic: number;
  messageSize: number;
  /** Keys from this many values (OMB's KEY_ROUND_ROBIN / RANDOM_NANO approximated by a seeded draw); 0: no keys. */
  keys: number;
  producersPerTopic: number;
  subscriptionsPerTopic: number;
  consumerPerSubscription: number;
  /** Messages per second of the paced phase, over all producers; 0: search for the highest sustainable one. */
  producerRate: number;
  warmupSeconds: number;
  flatOutSeconds: number;
  pacedSeconds: number;
  /** A backlog of this size built and drained after the other phases; 0: none. */
  consumerBacklogSizeGB: number;
  /** Sends in flight per producer. */
  window: number;
  /** Seconds without a new receipt after which a phase stops waiting for the rest. */
  drainIdleSeconds: number;
}

export interface Cpu {
  broker: number | null;
  client: number;
}

export type MeasuredPhase = PhaseFigures & { cpu: Cpu; drained: boolean };

export interface SearchStep {
  rate: number;
  achieved: number;
  backlogAtEnd: number;
  sustained: boolean;
}

export interface WorkloadOutcome {
  flatOut: MeasuredPhase;
  search: SearchStep[];
  /** The paced phase's target rate (given, or found by the search). */
  rate: number;
  paced: MeasuredPhase;
  backlog: { messages: number; buildSeconds: number; drainSeconds: number; drained: boolean } | null;
  integrity: { subscription: string; sent: number; received: number; lost: number; duplicated: number }[];
  firstError: string | null;
}

export interface RunHooks {
  /** CPU seconds of the server so far, or null where it is not ours to read (an external target). */
  brokerCpu: () => number | null;
  random: Random;
  /** Topic names start with this (unique per run). */
  prefix: string;
  /** Given topic names instead (an external cluster's, created beforehand). */
  topics?: string[];
  progress: (what: string) => void;
}

function clientCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function runWorkload(driver: PeerDriver, w: PeerWorkload, hooks: RunHooks): Promise<WorkloadOutcome> {
  if (hooks.topics && hooks.topics.length < w.topics) throw new Error(`the workload needs ${w.topics} topics; the target names ${hooks.topics.length} (${hooks.topics.join(', ')})`);
  const topics = Array.from({ length: w.topics }, (_, i) => hooks.topics?.[i] ?? `${hooks.prefix}-${i}`);
  for (const t of topics) await driver.createTopic(t, w.partitionsPerTopic);
  const subscriptions = topics.flatMap((topic) => Array.from({ length: w.subscriptionsPerTopic }, (_, s) => ({ id: `${topic}/sub-${s}`, topic, name: `${hooks.prefix}-sub-${s}` })));
  const meter = new Meter(subscriptions, (p) => topics[Math.floor(p / w.producersPerTopic)]!);
  const openConsumers = async (): Promise<PeerConsumer[]> => {
    const out: PeerConsumer[] = [];
    for (const s of subscriptions) for (let c = 0; c < w.consumerPerSubscription; c++) out.push(await driver.createConsumer(s.topic, s.name, meter.receiver(s.id)));
    return out;
  };
  let consumers = await openConsumers();
  const producers: PeerProducer[] = [];
  const loops: ProducerLoop[] = [];
  const template = payloadTemplate(w.messageSize, hooks.random);
  for (const t of topics) {
    for (let i = 0; i < w.producersPerTopic; i++) {
      const p = await driver.createProducer(t);
      producers.push(p);
      loops.push(new ProducerLoop(p, loops.length, template, meter, w.keys > 0 ? { count: w.keys, random: hooks.random } : null, w.window));
    }
  }
  const measure = async (what: string, drive: () => Promise<void>): Promise<MeasuredPhase> => {
    hooks.progress(what);
    const broker0 = hooks.brokerCpu();
    const client0 = clientCpu();
    meter.startPhase();
    await drive();
    meter.producersStopped();
    const drained = await meter.drained(w.drainIdleSeconds * 1000);
    const broker1 = hooks.brokerCpu();
    const figures = meter.endPhase();
    return { ...figures, drained, cpu: { broker: broker0 === null || broker1 === null ? null : broker1 - broker0, client: clientCpu() - client0 } };
  };
  const flat = (seconds: number, count = Infinity): Promise<void> => {
    const until = performance.now() + seconds * 1000;
    return Promise.all(loops.map((l) => l.flatOut(until, count))).then(() => undefined);
  };
  const paced = (rate: number, seconds: number): Promise<void> => {
    const until = performance.now() + seconds * 1000;
    return Promise.all(loops.map((l) => l.paced(rate / loops.length, until))).then(() => undefined);
  };
  try {
    if (w.warmupSeconds > 0) await measure('warm-up', () => flat(w.warmupSeconds));
    const flatOut = await measure('flat out', () => flat(w.flatOutSeconds));
    const search: SearchStep[] = [];
    let rate = w.producerRate;
    if (rate === 0) {
      // Start just under what flat out reached with consumers running; step down until a rate holds.
      rate = Math.max(1, Math.floor((flatOut.published / flatOut.seconds) * 0.9));
      const stepSeconds = Math.max(1, Math.min(w.pacedSeconds, 5));
      for (let step = 0; step < 6; step++) {
        const m = await measure(`searching: ${rate} msg/s`, () => paced(rate, stepSeconds));
        const achieved = m.published / m.seconds;
        // OMB's test: publishing keeps up and the backlog stays within half a second of production.
        const sustained = achieved >= rate * 0.97 && m.backlogAtEnd <= Math.max(w.window * loops.length, rate * 0.5 * subscriptions.length) && m.drained;
        search.push({ rate, achieved, backlogAtEnd: m.backlogAtEnd, sustained });
        if (sustained) break;
        rate = Math.max(1, Math.floor(rate * 0.75));
      }
    }
    const pacedPhase = await measure(`paced at ${rate} msg/s`, () => paced(rate, w.pacedSeconds));
    let backlog: WorkloadOutcome['backlog'] = null;
    if (w.consumerBacklogSizeGB > 0) {
      const messages = Math.ceil((w.consumerBacklogSizeGB * 1e9) / w.messageSize);
      for (const c of consumers) await c.close();
      consumers = [];
      hooks.progress(`building a backlog of ${messages} messages`);
      const build0 = performance.now();
      await flat(3600, Math.ceil(messages / loops.length));
      const buildSeconds = (performance.now() - build0) / 1000;
      hooks.progress('draining the backlog');
      const drain0 = performance.now();
      consumers = await openConsumers();
      const drained = await meter.drained(w.drainIdleSeconds * 1000);
      backlog = { messages, buildSeconds, drainSeconds: (performance.now() - drain0) / 1000, drained };
    }
    return {
      flatOut,
      search,
      rate,
      paced: pacedPhase,
      backlog,
      integrity: subscriptions.map((s) => ({ subscription: s.id, ...meter.integrity(s.id) })),
      firstError: meter.firstError,
    };
  } finally {
    for (const c of consumers) await c.close().catch(() => undefined);
    for (const p of producers) await p.close().catch(() => undefined);
  }
}
