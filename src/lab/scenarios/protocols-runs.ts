// The protocols scenario's runs: each one a send or receive through one
// protocol, its broker CPU read from BrokerProcess.stats() on both sides of
// it and the lab process's own CPU (the client's) from process.cpuUsage().
import { consumeLoad } from '../../client/load/consumer.js';
import { IntegrityTracker } from '../../client/load/integrity.js';
import { produceLoad } from '../../client/load/producer.js';
import { rocketReceiveLoad, rocketSendLoad } from '../../client/load/rocketmq.js';
import { rocketPullLoad } from '../../client/load/rocketmq-pull.js';
import { KEY_BYTES } from '../../client/load/stamped-batch.js';
import { encodeBatch } from '../../records/index.js';
import { cpuSecondsBetween, type BrokerProcess } from '../broker-process.js';
import type { IntegrityCheck } from '../results.js';

export type Protocol = 'Kafka' | 'RocketMQ';
/** 'call': an empty request (Heartbeat), what a call costs with no work in it. */
export type Direction = 'send' | 'receive' | 'call';

export interface Measured {
  engine: string;
  protocol: Protocol;
  direction: Direction;
  /** Which client: the Kafka load tool, the lean gRPC one, or RocketMQ's official Node client. */
  client: string;
  /** How messages go per request, e.g. "1 per request". */
  shape: string;
  /** The like-for-like comparison this run belongs to (PAIRS in protocols-report.ts), or null. */
  pair: string | null;
  /** Which repetition of the scenario's (each on a broker of its own), for the judged runs. */
  rep?: number;
  /** Which reading of the stored messages within a repetition, for receive runs read more than once. */
  round?: number;
  messages: number;
  requests: number;
  seconds: number;
  brokerUsPerMessage: number;
  clientUsPerMessage: number;
  /** The broker's mark-compacts during the run (whichever run's garbage they collected); null from a broker that does not count them. */
  markCompacts: number | null;
  integrity: IntegrityCheck | null;
}

export interface RunOutcome {
  messages: number;
  requests: number;
  seconds: number;
  errors: number;
  firstError: string | null;
  integrity: IntegrityCheck | null;
}

type Label = Pick<Measured, 'engine' | 'protocol' | 'direction' | 'client' | 'shape' | 'pair'>;

/** Runs `run` and charges the broker's and this process's CPU meanwhile to its messages. */
export async function measure(b: BrokerProcess, label: Label, run: () => Promise<RunOutcome>): Promise<Measured> {
  const before = await b.stats();
  const cpu = process.cpuUsage();
  const o = await run();
  const after = await b.stats();
  const client = process.cpuUsage(cpu);
  if (o.errors > 0) throw new Error(`${label.protocol} ${label.direction} (${label.client}, ${label.shape}): ${o.errors} error(s), the first: ${o.firstError}`);
  if (o.messages === 0) throw new Error(`${label.protocol} ${label.direction} (${label.client}, ${label.shape}): no message got through`);
  return {
    ...label,
    messages: o.messages,
    requests: o.requests,
    seconds: o.seconds,
    brokerUsPerMessage: (cpuSecondsBetween(before, after) * 1e6) / o.messages,
    clientUsPerMessage: (client.user + client.system) / o.messages,
    markCompacts: before.gc && after.gc ? after.gc.major - before.gc.major : null,
    integrity: o.integrity,
  };
}

export interface SendSettings {
  topic: string;
  perRequest: number;
  valueBytes: number;
  window: number;
  messages: number;
  maxMs: number;
}

/** What a Kafka send left for its receive: the producer whose records to expect, and how many. */
export interface Sent {
  producerId: bigint;
  messages: number;
}

export async function kafkaSend(b: BrokerProcess, s: SendSettings, sent: (x: Sent) => void): Promise<RunOutcome> {
  const p = await produceLoad({ host: b.host, port: b.port, topic: s.topic, partitions: [0], recordsPerBatch: s.perRequest, valueBytes: s.valueBytes, acks: 1, window: s.window, targetRecordsPerSecond: 0, maxRecords: s.messages, maxMs: s.maxMs });
  sent({ producerId: p.producerId, messages: p.ackedRecords });
  return { messages: p.ackedRecords, requests: Math.ceil(p.sentRecords / s.perRequest), seconds: p.seconds, errors: p.errors, firstError: p.firstError, integrity: null };
}

export async function rocketSend(b: BrokerProcess, s: SendSettings, producerId: bigint): Promise<RunOutcome> {
  const r = await rocketSendLoad({ endpoint: b.rocketmqEndpoint!, topic: s.topic, messagesPerRequest: s.perRequest, valueBytes: s.valueBytes, window: s.window, maxMessages: s.messages, maxMs: s.maxMs, producerId });
  return { messages: r.ackedMessages, requests: r.requests, seconds: r.seconds, errors: r.errors, firstError: r.firstError, integrity: null };
}

/** Bytes of a stamped Kafka load batch of n records: a fetch of k of them asks for exactly k records' worth. */
export function kafkaBatchBytes(records: number, valueBytes: number): number {
  const r = { key: Buffer.alloc(KEY_BYTES), value: Buffer.alloc(valueBytes) };
  return encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: records }, () => r) }).length;
}

/** Fetches of `topic` from its start; with `commitGroup`, an OffsetCommit after each fetch (kafkajs's default), counted as requests. */
export async function kafkaReceive(b: BrokerProcess, topic: string, sent: Sent, maxBytes: number, maxMs: number, run: string, commitGroup?: string): Promise<RunOutcome> {
  const c = await consumeLoad({ host: b.host, port: b.port, topic, from: new Map([[0, 0n]]), expectRecords: sent.messages, maxMs, maxBytes, partitionMaxBytes: maxBytes, commitGroup });
  const integrity = c.integrity.report(run, new Map([[sent.producerId, sent.messages]]));
  const missing = c.received < sent.messages ? `received ${c.received} of ${sent.messages} records in ${maxMs} ms` : null;
  return { messages: c.received, requests: c.fetches + c.commits, seconds: c.seconds, errors: c.failedFetches + (missing ? 1 : 0), firstError: c.firstError ?? missing, integrity };
}

/** Pulls of all of `sent` from offset 0 (no ack: a pull takes nothing), one at a time, as group `${topic}-${pullers}`. */
export async function rocketPull(b: BrokerProcess, topic: string, sent: Sent, batch: number, maxMs: number, run: string, pullers = 'pullers'): Promise<RunOutcome> {
  const integrity = new IntegrityTracker();
  const r = await rocketPullLoad({ endpoint: b.rocketmqEndpoint!, topic, group: `${topic}-${pullers}`, batch, expectMessages: sent.messages, maxMs, integrity });
  const missing = r.received < sent.messages ? `pulled ${r.received} of ${sent.messages} messages in ${maxMs} ms` : null;
  return { messages: r.received, requests: r.pulls, seconds: r.seconds, errors: r.errors + (missing ? 1 : 0), firstError: r.firstError ?? missing, integrity: integrity.report(run, new Map([[sent.producerId, sent.messages]])) };
}

/** Receive-and-ack loops taking all of `sent` as group `${topic}-readers` (or `-${o.readers}`); `o.overlapAcks`: each ack alongside the next receive (rocketReceiveLoad). */
export async function rocketReceive(b: BrokerProcess, topic: string, sent: Sent, batch: number, loops: number, maxMs: number, run: string, o: { readers?: string; overlapAcks?: boolean } = {}): Promise<RunOutcome> {
  const integrity = new IntegrityTracker();
  const r = await rocketReceiveLoad({ endpoint: b.rocketmqEndpoint!, topic, group: `${topic}-${o.readers ?? 'readers'}`, batch, loops, expectMessages: sent.messages, maxMs, integrity, overlapAcks: o.overlapAcks });
  const missing = r.received < sent.messages ? `received ${r.received} of ${sent.messages} messages in ${maxMs} ms` : null;
  return {
    messages: r.received,
    requests: r.receives + r.acks,
    seconds: r.seconds,
    errors: r.errors + (missing ? 1 : 0),
    firstError: r.firstError ?? missing,
    integrity: integrity.report(run, new Map([[sent.producerId, sent.messages]])),
  };
}
