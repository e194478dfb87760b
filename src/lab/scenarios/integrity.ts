// Scenario 6: loss, duplicates and backlog. Three runs:
// - a producer at a steady rate with acks 0, 1 and -1 while the broker is
//   killed with SIGKILL and restarted: what is lost and what arrives twice;
// - a group consumer killed between two commits: the duplicates its
//   successor reads again;
// - a slow consumer whose lag grows, until a second group member joins and
//   the backlog drains.
import { Admin } from '../../client/admin.js';
import { KafkaConnection } from '../../client/connection.js';
import { GroupMember } from '../../client/group-member.js';
import { consumeLoad } from '../../client/load/consumer.js';
import { IntegrityTracker } from '../../client/load/integrity.js';
import { forEachStamped } from '../../client/load/stamped-batch.js';

import type { LabContext } from '../context.js';
import type { IntegrityCheck, LineChart, ResultTable } from '../results.js';
import { fmt, produce, type Scenario, type ScenarioOutcome } from './common.js';

const GROUP_SETTINGS = ['--set', 'group.min.session.timeout.ms=1000'];
const CRASH_RATE = 10_000;

export const integrity: Scenario = {
  name: 'integrity',
  title: 'Loss, duplicates and backlog: a killed broker, a killed consumer, a slow consumer',
  claim: 'With acks=1 or -1 and retries nothing acknowledged is lost when the broker is killed (duplicates are the price); acks=0 loses what was in flight; a consumer killed before committing causes duplicates; a second group member drains a backlog.',
  async run(ctx): Promise<ScenarioOutcome> {
    const rows: ResultTable['rows'] = [];
    const checks: IntegrityCheck[] = [];
    let acknowledgedLost = 0;
    const crashSeconds = ctx.seconds(4, 4, 1);
    for (const acks of [0, 1, -1] as const) {
      const r = await brokerCrash(ctx, acks, crashSeconds);
      rows.push([`acks=${acks}`, fmt(r.sent), fmt(r.acked), fmt(r.check.received), fmt(r.lostOfSent), acks === 0 ? '—' : fmt(r.check.lost), fmt(r.check.duplicated), String(r.reconnects)]);
      checks.push(r.check);
      if (acks !== 0) acknowledgedLost += r.check.lost;
    }
    const killed = await consumerCrash(ctx);
    checks.push(killed.check);
    const slow = await slowConsumer(ctx);
    const held = acknowledgedLost === 0 && killed.check.duplicated > 0 && slow.drained;
    return {
      verdict: {
        held,
        measured: `acknowledged records lost after SIGKILL: ${acknowledgedLost}; acks=0 lost ${rows[0]![4]}; killed consumer re-read ${killed.check.duplicated}; backlog ${slow.drained ? `drained ${slow.drainSeconds.toFixed(1)} s after the second member joined` : 'did not drain'}`,
        summary: held
          ? 'Every acknowledged record survived the crash (retries brought duplicates instead), the killed consumer\'s successor re-read what was not committed, and a second member drained the backlog.'
          : 'Something did not behave as the claim says: see the table and the integrity counts.',
      },
      charts: [slow.chart],
      tables: [
        {
          title: 'Broker killed (SIGKILL) and restarted mid-run, flush none, producer retrying',
          caption: '"lost of acknowledged" is what matters for acks 1 and -1; acks=0 has no acknowledgements, so its loss is counted against what was sent.',
          columns: ['producer', 'sent', 'acknowledged', 'received', 'lost of sent', 'lost of acknowledged', 'duplicated', 'reconnects'],
          rows,
        },
        {
          title: 'Consumer killed between commits',
          columns: ['records', 'committed before the kill', 'read before the kill', 'read again by the successor'],
          rows: [[fmt(killed.records), fmt(killed.committed), fmt(killed.readBeforeKill), fmt(killed.check.duplicated)]],
        },
      ],
      integrity: checks,
      settings: { crashRate: CRASH_RATE, crashSeconds, flush: 'none', consumerRecords: killed.records, slowRate: slow.rate, slowConsumerRate: slow.consumerRate, slowSeconds: slow.seconds },
      notes: ['Integrity counts for acks=0 count loss against what was sent; for acks 1 and -1 against what was acknowledged.'],
    };
  },
};

async function brokerCrash(ctx: LabContext, acks: 0 | 1 | -1, seconds: number): Promise<{ sent: number; acked: number; lostOfSent: number; reconnects: number; check: IntegrityCheck }> {
  let b = await ctx.startBroker({ engine: 'segmented' });
  try {
    await ctx.admin(b, (a) => a.createTopic('crash', 1));
    ctx.progress(`integrity: acks=${acks}, broker killed mid-run`);
    const running = produce(b, { topic: 'crash', partitions: [0], recordsPerBatch: 10, valueBytes: 256, acks, window: 16, targetRecordsPerSecond: CRASH_RATE, maxRecords: CRASH_RATE * seconds, maxMs: seconds * 1000, reconnect: true });
    // Killed well into the run, with most of it still to come after the restart.
    await new Promise((r) => setTimeout(r, (seconds * 1000 * 3) / 8));
    b = await ctx.crashAndRestart(b);
    const p = await running;
    const end = await ctx.admin(b, (a) => a.offsets('crash', [0], -1n));
    const c = await consumeLoad({ host: b.host, port: b.port, topic: 'crash', from: new Map([[0, 0n]]), until: end, expectRecords: Number.MAX_SAFE_INTEGER, maxMs: 30_000, maxBytes: 4 << 20, partitionMaxBytes: 4 << 20, maxWaitMs: 50 });
    const against = acks === 0 ? p.sentRecords : p.ackedRecords;
    const reported = c.integrity.report(`broker killed, acks=${acks}`, new Map([[p.producerId, against]]));
    // acks=0 has nothing acknowledged: what was in flight at the kill is gone. Retries after a restart may write a record twice.
    const check: IntegrityCheck = { ...reported, expects: acks === 0 ? { loss: true, duplicates: true, why: 'acks=0 loses what was in flight at the kill' } : { duplicates: true, why: 'a retrying producer resends what was written but not answered before the kill' } };
    const lostOfSent = p.sentRecords - c.integrity.distinct(p.producerId, p.sentRecords);
    return { sent: p.sentRecords, acked: p.ackedRecords, lostOfSent, reconnects: p.reconnects, check };
  } finally {
    await ctx.stopBroker(b);
  }
}

/** Reads one partition's assignment from `from` and hands each stamped record over; stops at `end` or after `limit` records. */
async function readAssigned(conn: KafkaConnection, topic: string, partition: number, from: bigint, end: bigint, limit: number, tracker: IntegrityTracker): Promise<{ read: number; position: bigint }> {
  let position = from;
  let read = 0;
  while (position < end && read < limit) {
    const r = await conn.request(1, 11, { replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition, fetchOffset: position, partitionMaxBytes: 1 << 20 }] }] });
    const records = r.responses[0]!.partitions[0]!.records;
    if (!records || records.length === 0) break; // nothing new within maxWait: let the caller look up
    forEachStamped(records, position, (rec, offset) => {
      if (read >= limit) return;
      tracker.add(rec.producerId, rec.sequence);
      read++;
      position = offset + 1n;
    });
  }
  return { read, position };
}

async function consumerCrash(ctx: LabContext): Promise<{ records: number; committed: number; readBeforeKill: number; check: IntegrityCheck }> {
  const b = await ctx.startBroker({ engine: 'segmented', extra: GROUP_SETTINGS });
  try {
    ctx.progress('integrity: a consumer killed between commits');
    await ctx.admin(b, (a) => a.createTopic('commits', 1));
    const records = 5000;
    const p = await produce(b, { topic: 'commits', partitions: [0], recordsPerBatch: 10, valueBytes: 100, acks: 1, window: 16, targetRecordsPerSecond: 0, maxRecords: records, maxMs: 30_000 });
    const tracker = new IntegrityTracker();
    const partitionsOf = async (): Promise<number> => 1;
    // The first member commits every 1,000 records and dies after 2,500.
    const first = await GroupMember.open(b.host, b.port, 'commits-g', ['commits'], partitionsOf, { sessionTimeoutMs: 1000, heartbeatIntervalMs: 200 });
    await first.join();
    const conn = await KafkaConnection.open(b.host, b.port);
    let position = 0n;
    let committed = 0n;
    let readBeforeKill = 0;
    while (readBeforeKill < 2500) {
      const r = await readAssigned(conn, 'commits', 0, position, BigInt(records), Math.min(1000, 2500 - readBeforeKill), tracker);
      readBeforeKill += r.read;
      position = r.position;
      if (readBeforeKill % 1000 === 0) {
        await first.commit(new Map([['commits', new Map([[0, position]])]]));
        committed = position;
      }
    }
    // Killed: no commit, no LeaveGroup; the coordinator notices when its session expires.
    first.crash();
    conn.close();
    const second = await GroupMember.open(b.host, b.port, 'commits-g', ['commits'], partitionsOf, { sessionTimeoutMs: 1000, heartbeatIntervalMs: 200 });
    await second.join();
    const start = (await second.committed(new Map([['commits', [0]]]))).get('commits:0') ?? 0n;
    const conn2 = await KafkaConnection.open(b.host, b.port);
    await readAssigned(conn2, 'commits', 0, start, BigInt(records), records, tracker);
    conn2.close();
    await second.leave();
    const check: IntegrityCheck = { ...tracker.report('consumer killed between commits', new Map([[p.producerId, p.ackedRecords]])), expects: { duplicates: true, why: 'the successor re-reads what was read but not committed' } };
    return { records, committed: Number(committed), readBeforeKill, check };
  } finally {
    await ctx.stopBroker(b);
  }
}

async function slowConsumer(ctx: LabContext): Promise<{ chart: LineChart; drained: boolean; drainSeconds: number; rate: number; consumerRate: number; seconds: number }> {
  const b = await ctx.startBroker({ engine: 'segmented', extra: GROUP_SETTINGS });
  const rate = 2000;
  const consumerRate = 1200; // per member: one member falls behind, two keep up
  const seconds = ctx.seconds(6, 12, 2);
  const joinAt = seconds / 2;
  const lagAt: { t: number; lag: number }[] = [];
  let stop = false;
  try {
    ctx.progress('integrity: a slow consumer, then a second member');
    await ctx.admin(b, (a) => a.createTopic('backlog', 2));
    const admin = await Admin.connect(b.bootstrap);
    const t0 = Date.now();
    const producing = produce(b, { topic: 'backlog', partitions: [0, 1], recordsPerBatch: 10, valueBytes: 100, acks: 1, window: 8, targetRecordsPerSecond: rate, maxRecords: rate * seconds, maxMs: seconds * 1000 });
    const member = async (startAfterMs: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, startAfterMs));
      const m = await GroupMember.open(b.host, b.port, 'backlog-g', ['backlog'], async () => 2, { sessionTimeoutMs: 3000, heartbeatIntervalMs: 300 });
      const conn = await KafkaConnection.open(b.host, b.port);
      const tracker = new IntegrityTracker();
      try {
        let assignment = (await m.join()).get('backlog') ?? [];
        let positions = await startPositions(m, assignment);
        while (!stop) {
          if (m.rejoinNeeded) {
            await m.commit(new Map([['backlog', positions]])).catch(() => undefined);
            assignment = (await m.join()).get('backlog') ?? [];
            positions = await startPositions(m, assignment);
          }
          const began = Date.now();
          let read = 0;
          for (const p of assignment) {
            const r = await readAssigned(conn, 'backlog', p, positions.get(p)!, BigInt(Number.MAX_SAFE_INTEGER), 100, tracker);
            positions.set(p, r.position);
            read += r.read;
          }
          await m.commit(new Map([['backlog', positions]])).catch(() => undefined);
          // Throttle to consumerRate records per second.
          const wait = (read / consumerRate) * 1000 - (Date.now() - began);
          await new Promise((r) => setTimeout(r, Math.max(wait, read === 0 ? 50 : 0)));
        }
      } finally {
        conn.close();
        await m.leave();
      }
    };
    const sampling = (async () => {
      while (!stop) {
        const end = await admin.offsets('backlog', [0, 1], -1n);
        const committed = (await admin.groupOffsets('backlog-g')).get('backlog') ?? new Map<number, bigint>();
        let lag = 0n;
        for (const [p, e] of end) lag += e - (committed.get(p) ?? 0n);
        lagAt.push({ t: (Date.now() - t0) / 1000, lag: Number(lag) });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const members = [member(0), member(joinAt * 1000)];
    await producing;
    // Let the two members catch up, up to as long again.
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline && (lagAt.at(-1)?.lag ?? 1) > 50) await new Promise((r) => setTimeout(r, 250));
    stop = true;
    await Promise.all([...members, sampling]);
    admin.close();
  } finally {
    stop = true;
    await ctx.stopBroker(b);
  }
  const peak = Math.max(...lagAt.map((x) => x.lag));
  const drainedAt = lagAt.find((x) => x.t > joinAt && x.lag <= 50);
  const chart: LineChart = {
    kind: 'line',
    id: 'integrity-lag',
    title: 'Consumer lag over time: one slow member, then two',
    caption: `A producer at ${fmt(rate)} records/s over 2 partitions; each member processes at most ${fmt(consumerRate)} records/s. The lag (log end minus committed offsets) grew to ${fmt(peak)} records, and ${drainedAt ? `drained ${(drainedAt.t - joinAt).toFixed(1)} s after the second member joined` : 'had not drained when the run ended'}.`,
    xLabel: 'seconds',
    yLabel: 'lag (records)',
    x: lagAt.map((x) => x.t),
    series: [{ label: 'lag', values: lagAt.map((x) => x.lag) }],
    markers: [{ x: joinAt, label: 'second member joins' }],
  };
  return { chart, drained: drainedAt !== undefined, drainSeconds: drainedAt ? drainedAt.t - joinAt : NaN, rate, consumerRate, seconds };
}

async function startPositions(m: GroupMember, partitions: number[]): Promise<Map<number, bigint>> {
  const committed = await m.committed(new Map([['backlog', partitions]]));
  return new Map(partitions.map((p) => [p, committed.get(`backlog:${p}`)! >= 0n ? committed.get(`backlog:${p}`)! : 0n]));
}


