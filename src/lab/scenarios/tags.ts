// Tag filtering on the broker against filtering in the client, through the
// RocketMQ gRPC endpoint: a consumer that wants 1%, 10% or 100% of a topic
// either asks with a tag expression (the broker passes over the rest by
// their tag codes) or receives everything with `*` and drops what it does
// not want, acking it all (a popped message that is not acked comes back).
// Beside them, not judged: the same sets asked for with a SQL92 expression
// on the TAGS property, which the broker evaluates by reading every record.
// Per engine: bytes the broker wrote, the broker's and the consumer's CPU,
// and the time until the consumer holds every message it wants.
import type { BrokerProcess } from '../broker-process.js';
import { costBetween, snapshot } from '../broker-cost.js';
import { drain, type DrainResult } from '../rmq-consumer.js';
import type { BarChart, IntegrityCheck, ResultTable } from '../results.js';
import { spread } from '../stats.js';
import { produceTagged, tagDraw } from '../tagged-load.js';
import { fmt, MB, type Scenario, type ScenarioOutcome } from './common.js';

/** Tag a on 1% of the messages, b on 9%, c on the rest: each selectivity is an expression over them. */
const TAGS = ['a', 'b', 'c'];
const SHARES = [0.01, 0.09];
const SELECTIVITIES = [
  { label: '1%', tags: ['a'] },
  { label: '10%', tags: ['a', 'b'] },
  { label: '100%', tags: ['a', 'b', 'c'] },
];
const LABELS = { sentMB: 'bytes sent', brokerCpu: 'broker CPU', consumerCpu: 'consumer CPU', seconds: 'time' } as const;
const CLIENT = 'client-side';
const BROKER = 'broker-side';
const SQL = 'broker-side SQL92';
const MODES = [BROKER, SQL, CLIENT];

/** The filter a run sends: client-side takes everything; SQL92 names the same tags as a TAGS IN list. */
function filterOf(mode: string, tags: readonly string[]): { expression: string; filterType: 'TAG' | 'SQL' } {
  if (mode === CLIENT) return { expression: '*', filterType: 'TAG' };
  if (mode === SQL) return { expression: `TAGS IN (${tags.map((t) => `'${t}'`).join(', ')})`, filterType: 'SQL' };
  return { expression: tags.join(' || '), filterType: 'TAG' };
}

interface Sample {
  sentMB: number;
  brokerCpu: number;
  consumerCpu: number;
  seconds: number;
  readMB: number;
  received: number;
  /** Broker-side: messages delivered that the expression does not take (a filter error if not 0). */
  outside: number;
}

function kept(d: DrainResult, tags: readonly string[]): number {
  return tags.reduce((n, t) => n + (d.perTag.get(t) ?? 0), 0);
}

export const tags: Scenario = {
  name: 'tags',
  title: 'Tags: filtering on the broker vs filtering in the client',
  claim: 'Filtering by tag on the broker beats consuming everything and filtering in the client: fewer bytes sent, less broker and consumer CPU, a faster drain, and more so the fewer messages match.',
  async run(ctx): Promise<ScenarioOutcome> {
    const records = ctx.records(8_000, 40_000, 1_000);
    const valueBytes = ctx.valueBytes(1024);
    const engines = ctx.pick(['segmented', 'commitlog'], ['segmented', 'commitlog'], ['segmented']) as ('segmented' | 'commitlog')[];
    const warm = Math.min(records, ctx.pick(2_000, 5_000, 200));
    const rounds = ctx.pick(2, 4, 1);
    const samples = new Map<string, Sample[]>();
    const integrity: IntegrityCheck[] = [];
    const counts = new Map<string, Map<string, number>>();
    for (const engine of engines) {
      const b = await ctx.startBroker({ engine, rocketmq: true });
      try {
        await ctx.admin(b, (a) => a.createTopic('tags', 1, { 'message.type': 'NORMAL' }));
        ctx.progress(`tags: ${engine}: loading ${fmt(records)} tagged messages`);
        const load = await produceTagged(b, 'tags', { records, valueBytes, tagOf: tagDraw(ctx.random('tags'), TAGS, SHARES) });
        counts.set(engine, load.perTag);
        const wanted = (tags: string[]): number => tags.reduce((n, t) => n + (load.perTag.get(t) ?? 0), 0);
        const endpoint = b.rocketmqEndpoint!;
        for (const expression of ['*', 'a || b || c']) await drain({ endpoint, topic: 'tags', group: `warm-${expression.length}`, expression, receiveTarget: warm, ack: true, maxMs: 60_000 });
        // The client-side drain does the same work whatever the consumer keeps
        // (the broker sends everything): one run stands for every selectivity.
        const runs = [{ mode: CLIENT, label: 'all', tags: TAGS }, ...SELECTIVITIES.map((s) => ({ mode: BROKER, ...s })), ...SELECTIVITIES.map((s) => ({ mode: SQL, ...s }))];
        for (let round = 0; round < rounds; round++) {
          // Forward then backward: a run's place in the order (the JIT still warming, the heap growing) evens out.
          const order = round % 2 === 0 ? runs : [...runs].reverse();
          for (const r of order) {
            ctx.progress(`tags: ${engine}: ${r.mode} ${r.label} (round ${round + 1} of ${rounds})`);
            const target = r.mode === CLIENT ? records : wanted(r.tags);
            const { sample, d } = await measure(b, { endpoint, group: `g-${round}-${r.mode}-${r.label}`, ...filterOf(r.mode, r.tags), target });
            if (r.mode !== CLIENT) sample.outside = d.received - kept(d, r.tags);
            samples.set(`${engine}|${r.mode}|${r.label}`, [...(samples.get(`${engine}|${r.mode}|${r.label}`) ?? []), sample]);
            for (const s of r.mode === CLIENT ? SELECTIVITIES : SELECTIVITIES.filter((x) => x.label === r.label)) {
              const got = kept(d, s.tags);
              integrity.push({ run: `${engine}, ${r.mode} ${s.label}, round ${round + 1}`, sent: wanted(s.tags), received: got, lost: Math.max(0, wanted(s.tags) - (got - d.duplicates)), duplicated: d.duplicates });
            }
          }
        }
      } finally {
        await ctx.stopBroker(b);
      }
    }
    const med = (engine: string, mode: string, sel: string, k: keyof Sample): number => spread((samples.get(`${engine}|${mode}|${mode === CLIENT ? 'all' : sel}`) ?? []).map((s) => s[k])).median;
    const rows: ResultTable['rows'] = [];
    for (const e of engines) {
      for (const s of SELECTIVITIES) {
        for (const mode of MODES) {
          const m = (k: keyof Sample, d: number): string => med(e, mode, s.label, k).toFixed(d);
          rows.push([e, s.label, mode, filterOf(mode, s.tags).expression, fmt(med(e, mode, s.label, 'received')), mode === CLIENT ? '—' : fmt(med(e, mode, s.label, 'outside')), m('sentMB', 2), m('readMB', 2), m('brokerCpu', 3), m('consumerCpu', 3), m('seconds', 2)]);
        }
      }
    }
    const bars = (k: keyof Sample, id: string, title: string, yLabel: string, caption: string): BarChart => ({
      kind: 'bars',
      id,
      title,
      caption,
      yLabel,
      categories: SELECTIVITIES.map((s) => `${s.label} wanted`),
      series: engines.flatMap((e) => MODES.map((mode) => ({ label: `${e}, ${mode}`, values: SELECTIVITIES.map((s) => med(e, mode, s.label, k)) }))),
    });
    // The claim at 1% and 10%: broker-side ahead on all four counts, on every engine.
    const ahead = (sel: string): boolean => engines.every((e) => (Object.keys(LABELS) as (keyof typeof LABELS)[]).every((k) => med(e, BROKER, sel, k) < med(e, CLIENT, sel, k)));
    const unread = engines.some((e) => !Number.isFinite(med(e, CLIENT, '1%', 'sentMB')));
    const held = unread ? null : ahead('1%') && ahead('10%');
    const ratio = (e: string, sel: string, k: keyof Sample): string => (med(e, BROKER, sel, k) / med(e, CLIENT, sel, k)).toFixed(2);
    const lagging = (sel: string): string[] => engines.flatMap((e) => (Object.keys(LABELS) as (keyof typeof LABELS)[]).filter((k) => med(e, BROKER, sel, k) >= med(e, CLIENT, sel, k)).map((k) => `${e} ${LABELS[k]}`));
    const full = engines.map((e) => `${e} ${ratio(e, '100%', 'brokerCpu')}× broker CPU, ${ratio(e, '100%', 'consumerCpu')}× consumer CPU, ${ratio(e, '100%', 'seconds')}× time`).join('; ');
    const even = engines.every((e) => (['brokerCpu', 'consumerCpu', 'seconds'] as const).every((k) => Math.abs(Math.log(med(e, BROKER, '100%', k) / med(e, CLIENT, '100%', k))) < Math.log(1.5)));
    // How far the same run lands from itself between rounds: what an uneven 100% should be read against.
    const noise = Math.max(...engines.flatMap((e) => [BROKER, CLIENT].map((m) => samples.get(`${e}|${m}|${m === CLIENT ? 'all' : '100%'}`)!.map((x) => x.brokerCpu)).map((v) => Math.max(...v) / Math.min(...v))));
    const at100 = `At 100% both send every message (broker-side / client-side: ${full}): ${even ? 'about even, as the same work should be' : `uneven, where the same run's broker CPU varied up to ${noise.toFixed(2)}× between rounds`}.`;
    return {
      verdict: {
        held,
        measured:
          engines
            .map((e) => `${e}, broker-side / client-side at 1%: ${ratio(e, '1%', 'sentMB')}× bytes, ${ratio(e, '1%', 'brokerCpu')}× broker CPU, ${ratio(e, '1%', 'consumerCpu')}× consumer CPU, ${ratio(e, '1%', 'seconds')}× time; at 10%: ${ratio(e, '10%', 'sentMB')}×, ${ratio(e, '10%', 'brokerCpu')}×, ${ratio(e, '10%', 'consumerCpu')}×, ${ratio(e, '10%', 'seconds')}×`)
            .join('; ') + `. Not judged, SQL92 / tag broker CPU at 1%: ${engines.map((e) => `${e} ${(med(e, SQL, '1%', 'brokerCpu') / med(e, BROKER, '1%', 'brokerCpu')).toFixed(2)}×`).join(', ')}`,
        summary: unread
          ? '/proc/<pid>/io could not be read here, so the bytes the broker sent were not measured.'
          : held
            ? `Broker-side filtering sends, costs and waits less at 1% and 10% on every engine (ratios above): the broker passes over unwanted messages by their 8-byte tag codes, and the client-side consumer must receive and ack every message to get rid of it. ${at100}`
            : `Not on every count: broker-side was not ahead in ${[...lagging('1%').map((x) => `${x} at 1%`), ...lagging('10%').map((x) => `${x} at 10%`)].join(', ')}. ${at100}`,
      },
      charts: [
        bars('sentMB', 'tags-sent', 'Bytes the broker wrote to sockets', 'MB', "The broker's write-family bytes over the drain (/proc/<pid>/io): gRPC answers to receives and acks."),
        bars('brokerCpu', 'tags-broker-cpu', 'Broker CPU over the drain', 'CPU s', 'User + system CPU of the broker process.'),
        bars('consumerCpu', 'tags-consumer-cpu', 'Consumer CPU over the drain', 'CPU s', "The lab process's CPU while it received (decoding each message), filtered and acked."),
        bars('seconds', 'tags-time', 'Time to drain', 's', 'From the first receive until the consumer holds, and has acked, every message it wants; the client-side consumer must take all of them to find those.'),
      ],
      tables: [
        {
          title: 'Per engine, selectivity and where the filter runs',
          caption: `medians of ${rounds} round(s); MB are 10^6 bytes; "read" is what the broker's read-family calls returned (log, tag index, requests)`,
          columns: ['engine', 'wanted', 'filter', 'expression', 'messages received', 'outside the expression', 'broker sent MB', 'broker read MB', 'broker CPU s', 'consumer CPU s', 'seconds'],
          rows,
        },
      ],
      integrity,
      settings: {
        records,
        valueBytes,
        engines: engines.join(','),
        seed: ctx.seed,
        tags: engines.map((e) => `${e}: ${TAGS.map((t) => `${t}=${counts.get(e)?.get(t) ?? 0}`).join(' ')}`).join('; '),
        rounds,
        warmupMessages: warm,
        receiveBatch: 32,
      },
      notes: [
        `Tags drawn from the run's seed (${ctx.seed}; \`--seed ${ctx.seed}\` draws them again): a on 1% of the messages, b on 9%, c on the rest, so "a" wants 1%, "a || b" 10%, "a || b || c" 100%. One topic per engine, one queue, message.type=NORMAL so appends index the tags.`,
        'Loaded through the Kafka listener: one message per record batch with rmq.msg.id and rmq.tag headers, which is how the broker stores a RocketMQ producer\'s send (one message, one record; headers carry the properties), in produce requests of 256 batches, much faster than one SendMessage per message.',
        'Consumer: a bare grpc-js client over the vendored protos (src/lab/rmq-consumer.ts), not rocketmq-client-nodejs, whose telemetry, heartbeats and one-ack-per-message would add to both processes\' CPU. One receive of up to 32 in flight; each receive\'s messages acked in one AckMessage as it returns. Every run is a new consumer group from offset 0, after a warm-up of both paths on other groups.',
        "The SQL92 rows (not judged) ask for the same messages as the tag rows with `TAGS IN (...)`: the broker reads and decodes every record from the group's position and evaluates the expression on its properties, where a tag expression passes over records by their 8-byte tag codes (RocketMQ keeps a bloom filter per consume-queue entry for SQL92; mqlab does not). Its broker read MB and CPU against the tag rows' is what reading inside every message costs.",
        'The client-side drain runs once per engine and round: the broker sends the same whatever the consumer keeps, so its figures stand for every selectivity; the kept counts are checked per selectivity.',
        'Broker-side drains stop when the last wanted message is acked; the broker may still have unwanted messages after it to pass over on the next receive, which this run does not wait for.',
        'This is one 2-core VM shared with other work: times and CPU vary by tens of percent from run to run; bytes are exact.',
      ],
    };
  },
};

async function measure(b: BrokerProcess, o: { endpoint: string; group: string; expression: string; filterType: 'TAG' | 'SQL'; target: number }): Promise<{ sample: Sample; d: DrainResult }> {
  const before = await snapshot(b, true);
  const d = await drain({ endpoint: o.endpoint, topic: 'tags', group: o.group, expression: o.expression, filterType: o.filterType, receiveTarget: o.target, ack: true, maxMs: 600_000 });
  const c = costBetween(before, await snapshot(b));
  return {
    sample: { sentMB: (c.io?.wchar ?? NaN) / MB, readMB: (c.io?.rchar ?? NaN) / MB, brokerCpu: c.cpuSeconds, consumerCpu: d.consumerCpuSeconds, seconds: d.seconds, received: d.received, outside: 0 },
    d,
  };
}
