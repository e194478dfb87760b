// Scenario: RocketMQ's gRPC API against the Kafka protocol on one broker in
// one run, both engines: 1 KiB messages sent and received through each, the
// broker's CPU per message the figure judged. Runs are paired like for like
// (protocols-report.ts PAIRS): sends of one message per request (what
// RocketMQ's official producer sends) and of 16 (the Kafka load tool's usual
// batch; SendMessage carries repeated messages too); receives of up to 32
// per request (RocketMQ's largest ReceiveMessage batch, acked in one
// AckMessage; Kafka fetches sized to 32 records), from data stored 1 and 16
// per batch. The official Node client, an empty call's cost and sequential
// latency are reported beside them, not judged.
import { summarize } from '../../client/load/histogram.js';
import { produceLoad } from '../../client/load/producer.js';
import { rocketCallLoad, rocketSendLoad } from '../../client/load/rocketmq.js';
import type { BrokerProcess } from '../broker-process.js';
import type { LabContext } from '../context.js';
import type { Scenario, ScenarioOutcome } from './common.js';
import { grpcJsSequential, loadOfficialClient, officialConsumer, officialProducer } from './protocols-clients.js';
import { OVERLAPPED, PULLED, report, type Probe } from './protocols-report.js';
import { kafkaBatchBytes, kafkaReceive, kafkaSend, measure, rocketPull, rocketReceive, rocketSend, type Measured, type RunOutcome, type Sent } from './protocols-runs.js';

const ENGINES = ['segmented', 'commitlog'] as const;
/** Kafka's usual batching here: the throughput scenario's 16 records per produce. */
const BATCHED = 16;
/** RocketMQ's proxy caps ReceiveMessage at 32 (settings.ts); Kafka fetches ask for as many records' bytes. */
const RECEIVE_BATCH = 32;
const WINDOW = 64;
const RECEIVE_LOOPS = 4;
const MAX_MS = 120_000;
/**
 * Times each measured receive run reads the stored messages (medians), alternating which protocol goes first: at
 * full size three on each of three brokers, nine readings; quick, one broker, five. Three readings on one broker
 * put the worst pair anywhere from 1.79× to 2.04× in six quick runs whose five-reading medians read 1.84–1.89×
 * (README, twenty-fourth pass): a round's runs last a few tens of ms of broker CPU, and one collection moves one.
 */
const RECEIVE_ROUNDS = 3;
const QUICK_RECEIVE_ROUNDS = 5;
/** Batched messages of the warm-up: 2,000 receive calls of RECEIVE_BATCH, 4,000 sends of BATCHED. */
const WARM_BATCHED = 2_000 * RECEIVE_BATCH;

type Official = Exclude<Awaited<ReturnType<typeof loadOfficialClient>>, string>;

export const protocols: Scenario = {
  name: 'protocols',
  title: 'Protocols: RocketMQ gRPC against Kafka on the same broker, CPU per message',
  claim: "The RocketMQ endpoint is within 2× of Kafka's broker CPU per message, for send and for receive.",
  async run(ctx): Promise<ScenarioOutcome> {
    const valueBytes = ctx.valueBytes(1024);
    // Two thirds of the full size when quick: receive runs of 10,000 lasted 20–30 ms of broker CPU, and their
    // ratios moved by a tenth from run to run at the limit (README, twenty-third pass).
    const single = ctx.records(20_000, 30_000, 300);
    // Eight times the messages of the one-per-request runs, so both last about as long: at 16 a request a run of
    // twice as many was over in a fifth of a second, where one collection (9 ms, its helpers' marking besides)
    // moved its figure by a third.
    const batched = 8 * single;
    const official = Math.max(50, Math.round(single / 5));
    const warm = ctx.pick(5_000, 5_000, 100);
    const warmBatched = ctx.pick(WARM_BATCHED, WARM_BATCHED, 200);
    const probes = ctx.pick(200, 1_000, 20);
    const rounds = ctx.pick(QUICK_RECEIVE_ROUNDS, RECEIVE_ROUNDS, 1);
    const runs: Measured[] = [];
    const latency: Probe[] = [];
    const notes: string[] = [];
    const client = await loadOfficialClient();
    if (typeof client === 'string') notes.push(`No official-client rows: ${client}.`);
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const engine of ENGINES) {
        const b = await ctx.startBroker({ engine, rocketmq: true });
        try {
          const run = `${engine}, rep ${rep + 1}`;
          // Every run three times, the first two not counted: V8 compiles a
          // function only after hundreds to thousands of calls to it (more
          // after each new object shape it meets), so a fresh broker's first
          // 5,000 SendMessage calls cost it about twice what later ones do,
          // and a receive path warmed with 300 calls still compiled about 35
          // of its functions during the measured run (the Kafka path,
          // smaller, about 10). Counted in calls, not messages: a receive
          // takes 32. And on topics, groups and connections of their own
          // each time: code optimized while one queue is all it has seen is
          // deoptimized when the next comes (--trace-deopt: 15 functions on
          // the RocketMQ receive path, a few on Kafka's) and compiled again,
          // once, which a broker serving many queues has long done; after
          // one such change no more came (bench/rocketmq/rounds, 2026-12-04).
          // The rows with acks alongside run the judged rows' code paths: the warm-ups leave them out.
          await pairedRuns(ctx, b, engine, `${run}, warm-up`, '-warm', warm, warmBatched, valueBytes, false);
          await pairedRuns(ctx, b, engine, `${run}, warm-up on other queues`, '-warm2', warm, warmBatched, valueBytes, false);
          runs.push(...(await pairedRuns(ctx, b, engine, run, '', single, batched, valueBytes, true, rounds)).map((r) => ({ ...r, rep })));
          // What an application sees; the client's costs do not depend on the engine, so one engine is enough.
          if (engine === 'segmented') {
            if (typeof client !== 'string') runs.push(...(await officialRuns(ctx, b, client, official, valueBytes, run)));
            if (rep === 0) latency.push(...(await probeLatency(ctx, b, probes, valueBytes, client)));
          }
        } finally {
          await ctx.stopBroker(b);
        }
      }
    }
    return report(ctx, runs, latency, notes, { valueBytes, single, batched, warmUp: warm, warmUpBatched: warmBatched, official: typeof client === 'string' ? 0 : official, probes, window: WINDOW, receiveBatch: RECEIVE_BATCH, receiveLoops: RECEIVE_LOOPS, batchedPerRequest: BATCHED, receiveRounds: rounds });
  },
};

/**
 * The judged pairs, the 8 MiB fetch and the empty calls, on topics of their
 * own (`suffix`); `overlapped`: the receives with acks alongside too;
 * `rounds`: how many times each receive run reads the stored messages.
 */
async function pairedRuns(ctx: LabContext, b: BrokerProcess, engine: string, run: string, suffix: string, single: number, batched: number, valueBytes: number, overlapped: boolean, rounds = 1): Promise<Measured[]> {
  const runs: Measured[] = [];
  const step = (what: string): void => ctx.progress(`protocols: ${run}: ${what}`);
  const topic = (name: string): string => name + suffix;
  await ctx.admin(b, async (a) => {
    for (const t of ['kafka-1', `kafka-${BATCHED}`]) await a.createTopic(topic(t), 1);
    // RocketMQ topics declare their message type, as RocketMQ's do (so appends also feed the tag index).
    for (const t of ['rmq-1', `rmq-${BATCHED}`]) await a.createTopic(topic(t), 1, { 'message.type': 'NORMAL' });
  });
  const label = (protocol: Measured['protocol'], direction: Measured['direction'], who: string, shape: string, pair: string | null) => ({ engine, protocol, direction, client: who, shape, pair });
  const sent = new Map<string, Sent>();
  for (const [perRequest, messages] of [[1, single], [BATCHED, batched]] as const) {
    const shape = `${perRequest} per request`;
    const pair = `send ${perRequest}`;
    step(`Kafka send, ${shape}`);
    runs.push(await measure(b, label('Kafka', 'send', 'load tool', shape, pair), () => kafkaSend(b, { topic: topic(`kafka-${perRequest}`), perRequest, valueBytes, window: WINDOW, messages, maxMs: MAX_MS }, (s) => sent.set(`kafka-${perRequest}`, s))));
    step(`RocketMQ send, ${shape}`);
    const producerId = BigInt(1000 + perRequest);
    const r = await measure(b, label('RocketMQ', 'send', 'lean gRPC', shape, pair), () => rocketSend(b, { topic: topic(`rmq-${perRequest}`), perRequest, valueBytes, window: WINDOW, messages, maxMs: MAX_MS }, producerId));
    runs.push(r);
    sent.set(`rmq-${perRequest}`, { producerId, messages: r.messages });
  }
  for (const perBatch of [1, BATCHED]) {
    const stored = `stored ${perBatch} per batch`;
    const shape = `≤${RECEIVE_BATCH} per request, ${stored}`;
    const pair = `receive ${perBatch}`;
    const fetchBytes = (RECEIVE_BATCH / perBatch) * kafkaBatchBytes(perBatch, valueBytes);
    const kafkaTopic = topic(`kafka-${perBatch}`);
    const rmqTopic = topic(`rmq-${perBatch}`);
    const kafkaSent = sent.get(`kafka-${perBatch}`)!;
    const rmqSent = sent.get(`rmq-${perBatch}`)!;
    // Each round reads all the stored messages again, Kafka from offset 0 and RocketMQ as groups of its own, the order
    // turned round every other round: a run lasts tenths of a second, and the machine's pace changes over seconds.
    for (let round = 1; round <= rounds; round++) {
      const g = rounds === 1 ? '' : `-${round}`;
      const at = rounds === 1 ? '' : `, round ${round}`;
      const timed = (what: string, l: ReturnType<typeof label>, go: () => Promise<RunOutcome>) => (): Promise<Measured> => {
        step(`${what}, ${stored}${at}`);
        return measure(b, l, go);
      };
      const steps = [
        timed('Kafka receive', label('Kafka', 'receive', 'load tool', shape, pair), () => kafkaReceive(b, kafkaTopic, kafkaSent, fetchBytes, MAX_MS, `Kafka fetch, ${stored}, ${run}${at}`)),
        // Not judged: a consumer that stores its progress after each batch, as a RocketMQ receive's AckMessage does.
        timed('Kafka receive + OffsetCommit', label('Kafka', 'receive', 'load tool', `${shape}, + 1 OffsetCommit`, null), () => kafkaReceive(b, kafkaTopic, kafkaSent, fetchBytes, MAX_MS, `Kafka fetch + commit, ${stored}, ${run}${at}`, `${kafkaTopic}-committers${g}`)),
        timed('RocketMQ receive', label('RocketMQ', 'receive', 'lean gRPC', `${shape}, + 1 AckMessage`, pair), () => rocketReceive(b, rmqTopic, rmqSent, RECEIVE_BATCH, RECEIVE_LOOPS, MAX_MS, `RocketMQ receive, ${stored}, ${run}${at}`, { readers: `readers${g}` })),
        // Not judged: the same messages pulled, from offsets the client keeps (no per-message state, no ack); warmed up as the judged runs are.
        timed('RocketMQ pull', label('RocketMQ', 'receive', PULLED, `${shape}, PullMessage from the offset the last answered (no ack)`, pair), () => rocketPull(b, rmqTopic, rmqSent, RECEIVE_BATCH, MAX_MS, `RocketMQ pull, ${stored}, ${run}${at}`, `pullers${g}`)),
      ];
      // Not judged: the same messages read again by another group, each ack going out with the next receive, as RocketMQ's PushConsumer sends them.
      if (overlapped) steps.push(timed('RocketMQ receive, acks alongside', label('RocketMQ', 'receive', OVERLAPPED, `${shape}, + 1 AckMessage alongside the next receive`, pair), () => rocketReceive(b, rmqTopic, rmqSent, RECEIVE_BATCH, RECEIVE_LOOPS, MAX_MS, `RocketMQ receive, acks alongside, ${stored}, ${run}${at}`, { readers: `pushers${g}`, overlapAcks: true })));
      for (const s of round % 2 === 1 ? steps : [...steps].reverse()) runs.push({ ...(await s()), round });
    }
  }
  step('Kafka receive, 8 MiB fetches');
  runs.push(await measure(b, label('Kafka', 'receive', 'load tool', `8 MiB fetches, stored ${BATCHED} per batch`, null), () => kafkaReceive(b, topic(`kafka-${BATCHED}`), sent.get(`kafka-${BATCHED}`)!, 8 * 1024 * 1024, MAX_MS, `Kafka 8 MiB fetch, ${run}`)));
  step('RocketMQ Heartbeat calls');
  runs.push(await measure(b, label('RocketMQ', 'call', 'lean gRPC', 'Heartbeat: a call with no work in it', null), async () => {
    const h = await rocketCallLoad(b.rocketmqEndpoint!, 'Heartbeat', {}, single, WINDOW, MAX_MS);
    return { messages: h.calls, requests: h.calls, seconds: h.seconds, errors: h.errors, firstError: h.firstError, integrity: null };
  }));
  return runs;
}

async function officialRuns(ctx: LabContext, b: BrokerProcess, client: Official, messages: number, valueBytes: number, run: string): Promise<Measured[]> {
  const label = (direction: Measured['direction'], shape: string) => ({ engine: 'segmented', protocol: 'RocketMQ' as const, direction, client: 'official client', shape, pair: `${direction} 1` });
  const producerId = 2000n;
  await ctx.admin(b, async (a) => {
    for (const t of ['rmq-official', 'rmq-official-warm']) await a.createTopic(t, 1, { 'message.type': 'NORMAL' });
  });
  ctx.progress('protocols: official client send');
  const p = await officialProducer(client, b.rocketmqEndpoint!, ['rmq-official', 'rmq-official-warm']);
  let send: Measured;
  try {
    // The client's own code warms up too (the broker's path is warm by now).
    await p.load('rmq-official-warm', messages, 32, valueBytes, producerId + 1n, MAX_MS);
    send = await measure(b, label('send', '1 per request (Producer.send, 32 awaited at once)'), () => p.load('rmq-official', messages, 32, valueBytes, producerId, MAX_MS));
  } finally {
    await p.close();
  }
  ctx.progress('protocols: official client receive');
  const c = await officialConsumer(client, b.rocketmqEndpoint!, 'rmq-official', 'rmq-official-readers');
  try {
    const receive = await measure(b, label('receive', `≤${RECEIVE_BATCH} per request, stored 1 per batch, + 1 AckMessage per message`), () => c.load({ producerId, messages: send.messages }, RECEIVE_BATCH, RECEIVE_LOOPS, MAX_MS, `official client, ${run}`));
    return [send, receive];
  } finally {
    await c.close();
  }
}

/** One request at a time, each answered before the next goes: what a request takes when nothing queues. */
async function probeLatency(ctx: LabContext, b: BrokerProcess, count: number, valueBytes: number, client: Official | string): Promise<Probe[]> {
  ctx.progress('protocols: sequential request latency');
  await ctx.admin(b, async (a) => {
    await a.createTopic('kafka-latency', 1);
    await a.createTopic('rmq-latency', 1, { 'message.type': 'NORMAL' });
  });
  const kafka = await produceLoad({ host: b.host, port: b.port, topic: 'kafka-latency', partitions: [0], recordsPerBatch: 1, valueBytes, acks: 1, window: 1, targetRecordsPerSecond: 0, maxRecords: count, maxMs: MAX_MS });
  const lean = await rocketSendLoad({ endpoint: b.rocketmqEndpoint!, topic: 'rmq-latency', messagesPerRequest: 1, valueBytes, window: 1, maxMessages: count, maxMs: MAX_MS, producerId: 3000n });
  const grpcJs = await grpcJsSequential(b.rocketmqEndpoint!, 'rmq-latency', count, valueBytes);
  const probes: Probe[] = [
    { label: 'Kafka Produce (load tool)', summary: summarize(kafka.latency) },
    { label: 'RocketMQ SendMessage (lean gRPC)', summary: summarize(lean.latency) },
    { label: 'RocketMQ SendMessage (grpc-js client)', summary: summarize(grpcJs) },
  ];
  if (typeof client !== 'string') {
    const p = await officialProducer(client, b.rocketmqEndpoint!, ['rmq-latency']);
    try {
      probes.push({ label: 'RocketMQ Producer.send (official client)', summary: summarize((await p.load('rmq-latency', count, 1, valueBytes, 3001n, MAX_MS)).latency) });
    } finally {
      await p.close();
    }
  }
  return probes;
}
