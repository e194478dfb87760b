// The protocols scenario's result: runs folded over repetitions (medians),
// the like-for-like pairs judged, the tables, charts and notes.
import type { LatencySummary } from '../../client/load/histogram.js';
import type { LabContext } from '../context.js';
import type { BarChart, Chart, IntegrityCheck, ResultTable } from '../results.js';
import { spread } from '../stats.js';
import { fmt, latencySeries, pct, type ScenarioOutcome } from './common.js';
import type { Measured } from './protocols-runs.js';

/** The judged comparisons: a lean-client RocketMQ run against the Kafka run of the same pair key, engine by engine. */
export const PAIRS: readonly { key: string; label: string; direction: 'send' | 'receive' }[] = [
  { key: 'send 1', label: 'send, 1 per request', direction: 'send' },
  { key: 'send 16', label: 'send, 16 per request', direction: 'send' },
  { key: 'receive 1', label: 'receive, from 1-message batches', direction: 'receive' },
  { key: 'receive 16', label: 'receive, from 16-message batches', direction: 'receive' },
];

/** The client of the receive runs whose acks go out alongside the next receive (RocketMQ's PushConsumer's shape): reported beside the judged pairs, not judged. */
export const OVERLAPPED = 'lean gRPC, acks alongside';
/** The client of the pull runs (PullMessage from offsets the client keeps): reported beside the judged pairs, not judged. */
export const PULLED = 'lean gRPC, pull';

export interface Probe {
  label: string;
  summary: LatencySummary;
}

const LIMIT = 2;

/** What the report says the runs were (a type, not an interface: it goes where a Record is asked for). */
export type ProtocolSettings = {
  valueBytes: number;
  single: number;
  batched: number;
  warmUp: number;
  warmUpBatched: number;
  official: number;
  probes: number;
  window: number;
  receiveBatch: number;
  receiveLoops: number;
  batchedPerRequest: number;
  /** Times each measured receive run read the stored messages. */
  receiveRounds: number;
};

interface Row extends Measured {
  msgPerSecond: number;
}

/** Whether a run (or a folded row) is one side of a judged pair on `engine`: Kafka's, or RocketMQ's through the lean gRPC client. */
function judgedSide(r: Measured, engine: string, pair: string, protocol: 'Kafka' | 'RocketMQ'): boolean {
  return r.engine === engine && r.pair === pair && r.protocol === protocol && (protocol === 'Kafka' || r.client === 'lean gRPC');
}

/** One row per configuration: medians of the repetitions' figures, messages summed. */
function fold(runs: readonly Measured[]): Row[] {
  const groups = new Map<string, Measured[]>();
  for (const r of runs) {
    const k = [r.engine, r.protocol, r.direction, r.client, r.shape].join('|');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const m = (f: (r: Measured) => number): number => spread(g.map(f)).median;
    const counted = g.every((r) => r.markCompacts !== null);
    return { ...g[0]!, messages: g.reduce((n, r) => n + r.messages, 0), requests: g.reduce((n, r) => n + r.requests, 0), seconds: m((r) => r.seconds), brokerUsPerMessage: m((r) => r.brokerUsPerMessage), clientUsPerMessage: m((r) => r.clientUsPerMessage), msgPerSecond: m((r) => r.messages / r.seconds), markCompacts: counted ? m((r) => r.markCompacts!) : null };
  });
}

export function report(ctx: LabContext, runs: readonly Measured[], latency: readonly Probe[], extraNotes: string[], settings: ProtocolSettings): ScenarioOutcome {
  const rows = fold(runs);
  const engines = [...new Set(rows.map((r) => r.engine))];
  const kafkaOf = (r: Row): Row | undefined => (r.pair === null ? undefined : rows.find((k) => judgedSide(k, r.engine, r.pair!, 'Kafka')));
  const lean = (engine: string, pair: string): Row | undefined => rows.find((r) => judgedSide(r, engine, pair, 'RocketMQ'));
  const ratio = (r: Row): number | null => {
    const k = kafkaOf(r);
    return k && r.protocol === 'RocketMQ' ? r.brokerUsPerMessage / k.brokerUsPerMessage : null;
  };
  const judged = engines.flatMap((engine) => PAIRS.map((p) => ({ engine, pair: p, x: ratio(lean(engine, p.key)!)! })));
  const worst = (direction: string) => judged.filter((j) => j.pair.direction === direction).reduce((a, b) => (b.x > a.x ? b : a));
  const send = worst('send');
  const receive = worst('receive');
  const held = send.x <= LIMIT && receive.x <= LIMIT;
  const x = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)}×`;
  const pairFigures = (direction: string): string => PAIRS.filter((p) => p.direction === direction).map((p) => `${p.key.split(' ')[1]} per ${direction === 'send' ? 'request' : 'batch'} ${engines.map((e) => x(ratio(lean(e, p.key)!)!)).join('/')}`).join(', ');

  const table: ResultTable = {
    title: 'Send and receive through each protocol',
    caption: `Medians of ${ctx.reps} run(s)${settings.receiveRounds > 1 ? ` (of receives, ${ctx.reps * settings.receiveRounds}: ${settings.receiveRounds} rounds a run)` : ''}. Broker CPU: the broker process's user + system time over the run, per message; client CPU: the lab process's (the load tool or client). Mark-compacts: V8's full collections in the broker during the run, whichever run made their garbage (their marking runs on helper threads too, and counts in the broker's CPU). × Kafka: broker CPU per message against the Kafka run of the same pair on the same engine.`,
    columns: ['engine', 'direction', 'protocol', 'client', 'how', 'messages', 'msg / request', 'msg/s', 'broker µs/msg', 'client µs/msg', 'mark-compacts', '× Kafka'],
    rows: rows.map((r) => {
      const v = ratio(r);
      return [r.engine, r.direction, r.protocol, r.client, r.shape, r.messages, (r.messages / Math.max(1, r.requests)).toFixed(1), fmt(r.msgPerSecond), r.brokerUsPerMessage.toFixed(1), r.clientUsPerMessage.toFixed(1), r.markCompacts === null ? '' : String(r.markCompacts), v === null ? '' : x(v)];
    }),
  };
  const series = (f: (r: Row) => number): BarChart['series'] =>
    engines.flatMap((engine) =>
      (['Kafka', 'RocketMQ'] as const).map((protocol) => ({
        label: `${protocol} · ${engine}`,
        values: PAIRS.map((p) => {
          const r = rows.find((k) => judgedSide(k, engine, p.key, protocol));
          return r ? f(r) : 0;
        }),
      })),
    );
  const charts: Chart[] = [
    { kind: 'bars', id: 'protocols-cpu', title: 'Broker CPU per message', caption: `Broker CPU µs per 1 KiB message, each pair like for like (RocketMQ through the lean gRPC client; receives of up to 32 messages per request). The claim allows RocketMQ ${LIMIT}× Kafka's.`, yLabel: 'broker µs / message', categories: PAIRS.map((p) => p.label), series: series((r) => r.brokerUsPerMessage) },
    { kind: 'bars', id: 'protocols-rate', title: 'Messages per second', caption: "The same runs' messages per second; broker and client share the machine's cores.", yLabel: 'msg/s', categories: PAIRS.map((p) => p.label), series: series((r) => r.msgPerSecond) },
  ];
  if (latency.length > 0) {
    charts.push({ kind: 'latency', id: 'protocols-latency', title: 'Sequential request latency', caption: `${settings.probes} requests one after another (each answered before the next goes), 1 KiB each, segmented engine.`, series: latency.map((p) => latencySeries(p.label, p.summary)) });
  }
  const tables = [table];
  if (latency.length > 0) {
    tables.push({ title: 'Sequential request latency', caption: `${settings.probes} requests one at a time, ms`, columns: ['request', 'p50', 'p90', 'p99', 'max'], rows: latency.map((p) => [p.label, pct(p.summary, 50).toFixed(2), pct(p.summary, 90).toFixed(2), pct(p.summary, 99).toFixed(2), p.summary.maxMs.toFixed(2)]) });
  }
  const integrity = runs.map((r) => r.integrity).filter((i): i is IntegrityCheck => i !== null);
  return {
    verdict: {
      held,
      measured: `RocketMQ ÷ Kafka broker CPU per message (${engines.join('/')}): send ${pairFigures('send')}; receive ${pairFigures('receive')}`,
      summary: held
        ? `RocketMQ's gRPC endpoint stays within ${LIMIT}× of Kafka's broker CPU per message in every pair, on both engines (worst: ${send.pair.label} ${x(send.x)}; ${receive.pair.label} ${x(receive.x)}).`
        : `RocketMQ's gRPC endpoint costs more than ${LIMIT}× Kafka's broker CPU per message: worst send pair (${send.pair.label}) ${x(send.x)} on ${send.engine}, worst receive pair (${receive.pair.label}) ${x(receive.x)} on ${receive.engine}. ${receive.x > LIMIT ? receiveGapNote(rows, receive.engine, receive.pair.key, settings.receiveBatch) : floorNote(rows)}`,
    },
    charts,
    tables,
    integrity,
    settings,
    notes: [...notes(rows, latency, settings), ...[overlapNote(rows, kafkaOf), pullNote(rows, kafkaOf)].filter((n) => n !== ''), ...(ctx.reps > 1 || settings.receiveRounds > 1 ? [repetitionNote(runs)] : []), ...extraNotes],
  };
}

/** The receive pairs again against a Kafka consumer that commits after each fetch: not judged, but the like-for-like of an acking consumer. */
function commitNote(rows: readonly Row[]): string {
  const parts: string[] = [];
  for (const r of rows) {
    if (r.protocol !== 'RocketMQ' || r.client !== 'lean gRPC' || r.direction !== 'receive') continue;
    const k = rows.find((c) => c.protocol === 'Kafka' && c.engine === r.engine && c.pair === null && c.direction === 'receive' && c.shape.endsWith('+ 1 OffsetCommit') && r.shape.startsWith(c.shape.replace(', + 1 OffsetCommit', '')));
    if (k) parts.push(`${r.engine} ${r.pair}: ${(r.brokerUsPerMessage / k.brokerUsPerMessage).toFixed(2)}× (${k.brokerUsPerMessage.toFixed(1)} µs with the commit)`);
  }
  if (parts.length === 0) return '';
  return `Against a Kafka consumer that commits its offset after each fetch (kafkajs's default; not judged: the judged pairs take plain fetches), RocketMQ's receive with its AckMessage costs ${parts.join('; ')}.`;
}

/** The receive pairs again with each ack sent alongside the next receive: not judged, but how RocketMQ's own PushConsumer consumes. */
function overlapNote(rows: readonly Row[], kafkaOf: (r: Row) => Row | undefined): string {
  const parts: string[] = [];
  for (const r of rows) {
    const k = r.client === OVERLAPPED ? kafkaOf(r) : undefined;
    if (k) parts.push(`${r.engine} ${r.pair}: ${(r.brokerUsPerMessage / k.brokerUsPerMessage).toFixed(2)}× (${r.brokerUsPerMessage.toFixed(1)} µs a message)`);
  }
  if (parts.length === 0) return '';
  return `With each AckMessage sent alongside the next ReceiveMessage, as RocketMQ's PushConsumer sends them (its ProcessQueue receives again as soon as a receive returns and acks as its listener finishes), where the judged runs wait for the ack first, as a SimpleConsumer that acks before receiving again does: the same messages, read by a group of their own, ${parts.join('; ')} of the plain fetch. Not judged: the broker's work per message is the same; an ack that arrives with a receive shares its wake-up and its socket reads, and so costs less where the broker would otherwise sleep between them.`;
}

/**
 * The receive pairs again by pull: RocketMQ's protocol and encoding without
 * pop's state per message and its ack, so the two parts of a receive's gap
 * show apart.
 */
function pullNote(rows: readonly Row[], kafkaOf: (r: Row) => Row | undefined): string {
  const parts: string[] = [];
  for (const r of rows) {
    const k = r.client === PULLED ? kafkaOf(r) : undefined;
    const popped = k && rows.find((c) => judgedSide(c, r.engine, r.pair!, 'RocketMQ'));
    if (k && popped) parts.push(`${r.engine} ${r.pair}: ${(r.brokerUsPerMessage / k.brokerUsPerMessage).toFixed(2)}× (${r.brokerUsPerMessage.toFixed(1)} µs a message, against ${popped.brokerUsPerMessage.toFixed(1)} received and acked)`);
  }
  if (parts.length === 0) return '';
  return `Pulled instead (PullMessage from the offset the last pull answered, one at a time, as a Kafka consumer fetches a partition; no receipt handles, no state per message, no ack): ${parts.join('; ')} of the plain fetch. Not judged (Apache RocketMQ's proxy and clients have not merged pull consumption; its consumers pop), but it splits a receive's gap: what is left against the fetch is RocketMQ's protocol and encoding (each record decoded and written as a protobuf Message with its digest, where a fetch sends stored batches as they are); what a receive costs past the pull is pop's state and its ack, less what its several loops save by sharing the broker's wake-ups (a pull, like a fetch, waits for its answer before the next).`;
}

/**
 * The judged pairs' ratios repetition by repetition (a broker each): the
 * verdict takes their medians' ratio, and the machine's load moves them.
 */
function repetitionNote(runs: readonly Measured[]): string {
  const parts: string[] = [];
  const engines = [...new Set(runs.map((r) => r.engine))];
  for (const p of PAIRS) {
    const ranges = engines.map((engine) => {
      const ratios: number[] = [];
      for (const r of runs) {
        if (r.rep === undefined || !judgedSide(r, engine, p.key, 'RocketMQ')) continue;
        const k = runs.find((c) => c.rep === r.rep && c.round === r.round && judgedSide(c, engine, p.key, 'Kafka'));
        if (k) ratios.push(r.brokerUsPerMessage / k.brokerUsPerMessage);
      }
      return ratios.length === 0 ? '–' : `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;
    });
    parts.push(`${p.label} ${ranges.join(' / ')}`);
  }
  const rounds = runs.some((r) => r.round !== undefined && r.round > 1) ? ', a receive round by round' : '';
  return `Repetition by repetition${rounds} (${engines.join(' / ')}), RocketMQ ÷ Kafka: ${parts.join('; ')}. Both protocols' costs rise with the machine's load by about the same µs a message, so a busier repetition reads a lower ratio (README, twelfth pass).`;
}

/**
 * The judged receive pairs' clients' CPU a message, side by side: a broker
 * that sleeps between requests pays for each wake-up, so its CPU a message
 * rises as its client slows, and a pair whose clients differ in speed
 * measures them as much as the broker.
 */
function paceNote(rows: readonly Row[]): string {
  const parts: string[] = [];
  for (const r of rows) {
    if (r.direction !== 'receive' || r.pair === null || !judgedSide(r, r.engine, r.pair, 'RocketMQ')) continue;
    const k = rows.find((c) => judgedSide(c, r.engine, r.pair!, 'Kafka'));
    if (k) parts.push(`${r.engine} ${r.pair}: ${r.clientUsPerMessage.toFixed(1)} against ${k.clientUsPerMessage.toFixed(1)}`);
  }
  if (parts.length === 0) return '';
  return `The clients' own CPU a message, RocketMQ's lean client against the Kafka load tool: ${parts.join('; ')} µs. The broker's CPU a message depends on its client's pace as well as on its own work (a broker that sleeps between requests pays for each wake-up; bench/broker/client-pace measures how much), so a pair is like for like only while its clients are about as fast.`;
}

/** What an empty call costs against a whole Kafka produce: the part of the gap no handler change can close. */
function floorNote(rows: readonly Row[]): string {
  const hb = rows.find((r) => r.direction === 'call');
  const k = rows.find((r) => r.engine === hb?.engine && r.protocol === 'Kafka' && r.pair === 'send 1');
  if (!hb || !k) return '';
  return `An empty gRPC call (Heartbeat) alone cost the broker ${hb.brokerUsPerMessage.toFixed(0)} µs (${hb.engine}), ${(hb.brokerUsPerMessage / k.brokerUsPerMessage).toFixed(1)}× a whole 1-record Kafka produce (${k.brokerUsPerMessage.toFixed(0)} µs).`;
}

/**
 * How much of a receive pair's gap its calls can explain: the gap per
 * receive against two empty calls (a receive and its ack; an empty call is
 * the Heartbeat run's cost). What is left is work per message.
 */
function receiveGapNote(rows: readonly Row[], engine: string, pair: string, perReceive: number): string {
  const rmq = rows.find((r) => judgedSide(r, engine, pair, 'RocketMQ'));
  const k = rows.find((r) => judgedSide(r, engine, pair, 'Kafka'));
  const hb = rows.find((r) => r.direction === 'call' && r.engine === engine);
  if (!rmq || !k || !hb) return '';
  const gap = (rmq.brokerUsPerMessage - k.brokerUsPerMessage) * perReceive;
  const calls = 2 * hb.brokerUsPerMessage;
  return `That pair's gap is ${gap.toFixed(0)} µs of broker CPU per ${perReceive}-message receive with its ack (RocketMQ ${rmq.brokerUsPerMessage.toFixed(1)} µs a message, Kafka ${k.brokerUsPerMessage.toFixed(1)}); two empty calls cost ${calls.toFixed(0)} µs (Heartbeat), so at least ${(Math.max(0, gap - calls) / perReceive).toFixed(1)} µs a message of it is work per message (bench/rocketmq/rounds --batches splits the two).`;
}

function notes(rows: readonly Row[], latency: readonly Probe[], settings: ProtocolSettings): string[] {
  const out = [
    `Like for like: a Kafka produce of one record against a SendMessage of one message (what RocketMQ's official producer sends: one per call), and ${settings.batchedPerRequest} against ${settings.batchedPerRequest} (SendMessageRequest has repeated messages; the official client's API sends one); both with ${settings.window} requests in flight. Receives ask for up to ${settings.receiveBatch} messages per request: RocketMQ's largest ReceiveMessage batch, then one AckMessage for the batch (pop consumption keeps a state per message, so the protocol needs the ack; it is counted); Kafka fetches sized to exactly ${settings.receiveBatch} records, one at a time as the load tool fetches, with ${settings.receiveLoops} RocketMQ receive loops at once.`,
    'A Kafka fetch sends stored batches as they are (sendfile); a RocketMQ receive decodes each record and encodes it as a protobuf Message with its receipt handle. The 8 MiB fetch row is what Kafka consumers usually ask for.',
    "RocketMQ runs use a lean client: gRPC on HTTP/2 framed by the client itself over a plain socket (as the Kafka load tool frames its requests), each request encoded once and stamped in place, so that the broker, not the client, sets the pace where both share the cores (node:http2's client spent about 70 µs of CPU a call, five times the broker's). The official client (rocketmq-client-nodejs over grpc-js and google-protobuf) is measured separately, on the segmented engine: its client CPU shows what an application spends; the broker also works harder for it (more metadata per call, and one AckMessage per message).",
    `Each run goes three times on each broker, the first two with ${fmt(settings.warmUp)} messages (${fmt(settings.warmUpBatched)} batched: ${fmt(settings.warmUpBatched / settings.receiveBatch)} receive calls) not counted, each on topics, groups and connections of its own: V8 compiles a function only after hundreds to thousands of calls to it, so a fresh broker's first 5,000 SendMessage calls cost it about twice what later ones do, and a receive path warmed with a few hundred calls compiles dozens of its functions during the measured run; and code optimized while it has seen one queue is deoptimized when the next comes and compiled again (once: a broker serving many queues has long done it), which the second warm-up takes out of the measured run. The official client's sends are warmed up the same way; its receives are not.`,
    'RocketMQ topics declare message.type=NORMAL, as RocketMQ topics do, so their appends also feed the tag index; Kafka topics have none.',
  ];
  if (settings.receiveRounds > 1) {
    out.push(`Each measured receive run reads the stored messages ${settings.receiveRounds} times (Kafka from offset 0 again, RocketMQ as a group of its own each time), the runs of a round in turn and the order turned round every other round; rows are the medians. A receive run lasts tenths of a second (a Kafka fetch run of 30,000 messages about 60 ms of broker CPU) and the machine's pace moves over seconds: runs measured once each read the same pair anywhere from 1.7× to 4.6× (seeds 158–162). And the first run after the sends pays for what they left to collect: measured once, Kafka's fetch, which ran first, bore it (on one broker, Kafka's first read of 64,000 freshly sent messages cost it 1.3–2.6 µs a message where its third cost 0.9–1.0, four topics of five).`);
  }
  const committed = commitNote(rows);
  if (committed) out.push(committed);
  const pace = paceNote(rows);
  if (pace) out.push(pace);
  const hb = floorNote(rows);
  if (hb) out.push(`${hb} Per call, HTTP/2 brings a HEADERS frame, a DATA frame and trailers each way and HPACK, where Kafka's request is one length-prefixed frame; the endpoint runs on mqlab's own HTTP/2 and gRPC server (src/protocol/http2, src/protocol/grpc), not grpc-js on node:http2, whose empty call cost the broker 87–129 µs.`);
  if (latency.length > 0) {
    const slowest = latency.reduce((a, b) => (b.summary.maxMs > a.summary.maxMs ? b : a));
    out.push(`Sequential latency (p50): ${latency.map((p) => `${p.label} ${pct(p.summary, 50).toFixed(2)} ms`).join('; ')}. Nagle's algorithm is not in play: the broker's HTTP/2 sets TCP_NODELAY on its sockets, as Node's HTTP/2 client sessions and grpc-js's client do, so no call waits out a 40 ms delayed ACK; the slowest single request was ${slowest.summary.maxMs.toFixed(1)} ms (${slowest.label}).`);
  }
  return out;
}
