// apache.rocketmq.v2.MessagingService over the broker: one handler per RPC.
// Every answer carries a Status; a handler that throws answers
// INTERNAL_ERROR (logged), so no request can take the endpoint down.
import type * as grpc from '@grpc/grpc-js';
import type { Broker } from '../../broker/broker.js';
import { topicMessageType } from '../../broker/rocketmq/message-type.js';
import { PopError, type PopService } from '../../broker/rocketmq/pop-service.js';
import { checkMessage, maxBodyBytes, PublishError } from '../../broker/rocketmq/publish.js';
import { TimerError, type TimerStore } from '../../broker/rocketmq/timer/timer-store.js';
import type { TransactionStore } from '../../broker/rocketmq/transaction/transaction-store.js';
import type { ProducerStreams } from './producers.js';
import { FilterError, parseTagExpression, type TagFilter } from '../../broker/rocketmq/tag-filter.js';
import { durationMs, incoming, outgoing, timestampMs } from './convert.js';
import { sendEntries } from './send.js';
import { answerSettings, DEFAULT_LONG_POLLING_MS, MAX_RECEIVE_BATCH } from './settings.js';
import { notImplemented, OK, status, statusOf, type Status } from './status.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export interface ServiceContext {
  broker: Broker;
  pop: PopService;
  /** Delayed messages until they are due. */
  timer: TimerStore;
  /** Half messages until they are committed, rolled back or discarded. */
  transactions: TransactionStore;
  /** Producers' Telemetry streams, for transaction check-backs. */
  producers: ProducerStreams;
  /** The address clients reach this endpoint at (host:port), for routes. */
  advertised(): { host: string; port: number };
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Open Telemetry streams, ended when the endpoint closes. */
  telemetry: Set<grpc.ServerDuplexStream<Pb, Pb>>;
  /** ReceiveMessage calls inside the broker now (long polls included): for stats and tests. */
  receiving: number;
}

const MIN_INVISIBLE_MS = 1_000;
const MAX_INVISIBLE_MS = 12 * 3600 * 1000;
const MAX_LONG_POLLING_MS = 5 * 60 * 1000;
/** Answer a receive this long before the caller's deadline, so the answer arrives in time. */
const DEADLINE_MARGIN_MS = 200;

class BadRequest extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Unary = (call: grpc.ServerUnaryCall<Pb, Pb>) => Promise<Pb>;

/** A unary handler whose failures answer with a Status. */
function unary(ctx: ServiceContext, rpc: string, fn: Unary): grpc.handleUnaryCall<Pb, Pb> {
  return (call, callback) => {
    fn(call).then(
      (answer) => callback(null, answer),
      (err) => {
        const s = err instanceof BadRequest || err instanceof PublishError || err instanceof PopError || err instanceof TimerError ? status(err.code, err.message) : statusOf(err);
        if (s.code === 'INTERNAL_ERROR') ctx.log('error', `rocketmq ${rpc}: ${(err as Error).stack ?? String(err)}`);
        callback(null, { status: s });
      },
    );
  };
}

/** The client id every official client sends in its metadata (x-mq-client-id). */
export function clientIdOf(call: { metadata: grpc.Metadata }): string {
  const v = call.metadata.get('x-mq-client-id')[0];
  return typeof v === 'string' ? v : '';
}

function topicName(r: Pb | null | undefined): string {
  return typeof r?.name === 'string' ? r.name : '';
}

function routeOf(ctx: ServiceContext, topic: string, resource: Pb, requested: Pb | null | undefined): Pb[] {
  const t = ctx.broker.topics.get(topic)!;
  let { host, port } = ctx.advertised();
  // Bound to every interface: the client reached us at the address it asked with.
  if (host === '0.0.0.0' || host === '::') host = requested?.addresses?.[0]?.host ?? '127.0.0.1';
  const scheme = /^[\d.]+$/.test(host) ? 'IPv4' : host.includes(':') ? 'IPv6' : 'DOMAIN_NAME';
  const broker = { name: 'mqlab', id: 0, endpoints: { scheme, addresses: [{ host, port }] } };
  const queues: Pb[] = [];
  for (let id = 0; id < t.partitions; id++) {
    queues.push({ topic: resource, id, permission: 'READ_WRITE', broker, acceptMessageTypes: [topicMessageType(t)] });
  }
  return queues;
}

function existingTopic(ctx: ServiceContext, name: string): void {
  if (!name) throw new BadRequest('ILLEGAL_TOPIC', 'a topic is required');
  const t = ctx.broker.topics.get(name);
  if (!t || t.internal) throw new BadRequest('TOPIC_NOT_FOUND', `no topic "${name}"`);
}

function tagFilter(expr: Pb | null | undefined): TagFilter {
  if (!expr) return { all: true };
  if (expr.type === 'SQL') throw new BadRequest('ILLEGAL_FILTER_EXPRESSION', `SQL92 filter "${expr.expression}": mqlab filters by TAG only (* or A || B); SQL92 is not supported`);
  if (expr.type !== 'TAG' && expr.type !== 'FILTER_TYPE_UNSPECIFIED') throw new BadRequest('ILLEGAL_FILTER_EXPRESSION', `filter type ${expr.type}: expected TAG`);
  try {
    return parseTagExpression(String(expr.expression ?? ''));
  } catch (err) {
    if (err instanceof FilterError) throw new BadRequest('ILLEGAL_FILTER_EXPRESSION', err.message);
    throw err;
  }
}

export function messagingHandlers(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const storeHost = (): string => `${ctx.advertised().host}:${ctx.advertised().port}`;

  const queryRoute = unary(ctx, 'QueryRoute', async (call) => {
    const name = topicName(call.request.topic);
    existingTopic(ctx, name);
    return { status: OK, messageQueues: routeOf(ctx, name, call.request.topic, call.request.endpoints) };
  });

  const heartbeat = unary(ctx, 'Heartbeat', async () => ({ status: OK }));
  const notifyClientTermination = unary(ctx, 'NotifyClientTermination', async () => ({ status: OK }));

  const sendMessage = unary(ctx, 'SendMessage', async (call) => {
    const messages: Pb[] = call.request.messages ?? [];
    if (messages.length === 0) throw new BadRequest('BAD_REQUEST', 'SendMessage carries no message');
    const parsed = messages.map(incoming);
    // All or none: a request with one bad message stores nothing.
    for (const p of parsed) checkMessage(ctx.broker, p.topic, p.message);
    const entries = await sendEntries(ctx, parsed, clientIdOf(call));
    const failed = entries.find((e) => e.status.code !== 'OK');
    return { status: failed ? failed.status : OK, entries };
  });

  const receiveMessage: grpc.handleServerStreamingCall<Pb, Pb> = (call) => {
    receive(ctx, call, storeHost()).catch((err) => {
      const s = err instanceof BadRequest || err instanceof PopError ? status(err.code, err.message) : statusOf(err);
      if (s.code === 'INTERNAL_ERROR') ctx.log('error', `rocketmq ReceiveMessage: ${(err as Error).stack ?? String(err)}`);
      if (!call.cancelled) {
        call.write({ status: s });
        call.end();
      }
    });
  };

  const ackMessage = unary(ctx, 'AckMessage', async (call) => {
    const group = topicName(call.request.group);
    const topic = topicName(call.request.topic);
    existingTopic(ctx, topic);
    const entries: Pb[] = [];
    for (const e of (call.request.entries ?? []) as Pb[]) {
      let s: Status = OK;
      try {
        await ctx.pop.ack(group, topic, String(e.receiptHandle ?? ''));
      } catch (err) {
        s = err instanceof PopError ? status(err.code, err.message) : statusOf(err);
      }
      entries.push({ messageId: e.messageId, receiptHandle: e.receiptHandle, status: s });
    }
    const failed = entries.filter((e) => e.status.code !== 'OK');
    const overall = failed.length === 0 ? OK : entries.length === 1 ? failed[0]!.status : status('MULTIPLE_RESULTS', `${failed.length} of ${entries.length} acks failed: see the entries`);
    return { status: overall, entries };
  });

  const changeInvisibleDuration = unary(ctx, 'ChangeInvisibleDuration', async (call) => {
    const topic = topicName(call.request.topic);
    existingTopic(ctx, topic);
    const ms = durationMs(call.request.invisibleDuration);
    if (ms === null || ms < MIN_INVISIBLE_MS || ms > MAX_INVISIBLE_MS) throw new BadRequest('ILLEGAL_INVISIBLE_TIME', `invisible duration ${ms} ms: expected ${MIN_INVISIBLE_MS} ms to ${MAX_INVISIBLE_MS / 3600_000} h`);
    const handle = ctx.pop.changeInvisible(topicName(call.request.group), topic, String(call.request.receiptHandle ?? ''), ms);
    return { status: OK, receiptHandle: handle };
  });

  const queryOffset = unary(ctx, 'QueryOffset', async (call) => {
    const mq: Pb | null = call.request.messageQueue;
    const name = topicName(mq?.topic);
    existingTopic(ctx, name);
    const partition = Number(mq?.id ?? 0);
    const policy = call.request.queryOffsetPolicy ?? 'BEGINNING';
    let ts: bigint;
    if (policy === 'BEGINNING') ts = -2n;
    else if (policy === 'END') ts = -1n;
    else {
      const at = timestampMs(call.request.timestamp);
      if (at === null) throw new BadRequest('BAD_REQUEST', 'QueryOffset by TIMESTAMP needs a timestamp');
      ts = at < 0n ? 0n : at;
    }
    const r = ctx.broker.listOffset(name, partition, ts);
    if (r.error !== 'NONE') throw new BadRequest('BAD_REQUEST', `topic "${name}" has no queue ${partition}`);
    // No message at or after the time: the end, where the next one will be.
    const offset = r.offset >= 0n ? r.offset : ctx.broker.listOffset(name, partition, -1n).offset;
    return { status: OK, offset: String(offset) };
  });

  const telemetry: grpc.handleBidiStreamingCall<Pb, Pb> = (call) => {
    ctx.telemetry.add(call);
    call.on('data', (cmd: Pb) => {
      try {
        if (!cmd.settings) return; // thread stack traces, verify results: nothing asked for them yet
        if (cmd.settings.clientType === 'PRODUCER') ctx.producers.register(call, clientIdOf(call), ((cmd.settings.publishing?.topics ?? []) as Pb[]).map(topicName));
        const answer = answerSettings(cmd.settings, { maxBodyBytes: maxBodyBytes(ctx.broker) });
        call.write(answer.settings ? { status: answer.status, settings: answer.settings } : { status: answer.status });
      } catch (err) {
        ctx.log('error', `rocketmq Telemetry: ${(err as Error).stack ?? String(err)}`);
        if (!call.cancelled) call.write({ status: statusOf(err) });
      }
    });
    const done = (): void => {
      ctx.producers.remove(call);
      if (!ctx.telemetry.delete(call)) return;
      try {
        call.end();
      } catch {
        // the client went away first: nothing left to end
      }
    };
    call.on('end', done);
    call.on('error', done);
    call.on('cancelled', () => {
      ctx.producers.remove(call);
      ctx.telemetry.delete(call);
    });
  };

  const endTransaction = unary(ctx, 'EndTransaction', async (call) => {
    const topic = topicName(call.request.topic);
    existingTopic(ctx, topic);
    const r = call.request;
    await ctx.transactions.end(topic, String(r.messageId ?? ''), String(r.transactionId ?? ''), String(r.resolution ?? ''));
    return { status: OK };
  });

  const recallMessage = unary(ctx, 'RecallMessage', async (call) => {
    const topic = topicName(call.request.topic);
    existingTopic(ctx, topic);
    const messageId = await ctx.timer.recall(topic, String(call.request.recallHandle ?? ''));
    return { status: OK, messageId };
  });

  const unimplemented = (rpc: string, when: string): grpc.handleUnaryCall<Pb, Pb> => (_call, callback) => callback(null, { status: notImplemented(rpc, when) });
  const pullMessage: grpc.handleServerStreamingCall<Pb, Pb> = (call) => {
    call.write({ status: notImplemented('PullMessage', 'PullConsumer') });
    call.end();
  };

  return {
    QueryRoute: queryRoute,
    Heartbeat: heartbeat,
    SendMessage: sendMessage,
    QueryAssignment: unimplemented('QueryAssignment', 'PushConsumer: a later phase'),
    ReceiveMessage: receiveMessage,
    AckMessage: ackMessage,
    ForwardMessageToDeadLetterQueue: unimplemented('ForwardMessageToDeadLetterQueue', 'retry and DLQ: a later phase'),
    PullMessage: pullMessage,
    UpdateOffset: unimplemented('UpdateOffset', 'PullConsumer'),
    GetOffset: unimplemented('GetOffset', 'PullConsumer'),
    QueryOffset: queryOffset,
    EndTransaction: endTransaction,
    Telemetry: telemetry,
    NotifyClientTermination: notifyClientTermination,
    ChangeInvisibleDuration: changeInvisibleDuration,
    RecallMessage: recallMessage,
    SyncLiteSubscription: unimplemented('SyncLiteSubscription', 'lite topics'),
  };
}

async function receive(ctx: ServiceContext, call: grpc.ServerWritableStream<Pb, Pb>, storeHost: string): Promise<void> {
  const r = call.request;
  const group = topicName(r.group);
  if (!group) throw new BadRequest('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
  const mq: Pb | null = r.messageQueue;
  const topic = topicName(mq?.topic);
  existingTopic(ctx, topic);
  const filter = tagFilter(r.filterExpression);
  const invisibleMs = durationMs(r.invisibleDuration);
  if (invisibleMs === null || invisibleMs < MIN_INVISIBLE_MS || invisibleMs > MAX_INVISIBLE_MS) {
    throw new BadRequest('ILLEGAL_INVISIBLE_TIME', `invisible duration ${invisibleMs ?? 'missing'}${invisibleMs === null ? '' : ' ms'}: expected ${MIN_INVISIBLE_MS} ms to ${MAX_INVISIBLE_MS / 3600_000} h`);
  }
  const batchSize = Number(r.batchSize ?? 0);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new BadRequest('BAD_REQUEST', `batch size ${r.batchSize}: at least 1`);
  let pollMs = durationMs(r.longPollingTimeout) ?? DEFAULT_LONG_POLLING_MS;
  if (pollMs < 0 || pollMs > MAX_LONG_POLLING_MS) throw new BadRequest('ILLEGAL_POLLING_TIME', `long polling timeout ${pollMs} ms: expected 0 to ${MAX_LONG_POLLING_MS} ms`);
  const deadline = call.getDeadline();
  const until = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  if (Number.isFinite(until)) pollMs = Math.max(0, Math.min(pollMs, until - Date.now() - DEADLINE_MARGIN_MS));
  ctx.receiving++;
  const popped = await ctx.pop.pop({
    group,
    topic,
    partition: Number(mq?.id ?? 0),
    filter,
    batchSize: Math.min(batchSize, MAX_RECEIVE_BATCH),
    invisibleMs,
    pollMs,
    cancelled: () => call.cancelled,
  }).finally(() => ctx.receiving--);
  if (call.cancelled) return; // taken messages come back when their invisible time ends
  if (popped.length === 0) {
    call.write({ status: status('MESSAGE_NOT_FOUND', 'no new message') });
  } else {
    call.write({ status: OK });
    for (const p of popped) call.write({ message: outgoing(p, mq!.topic, storeHost) });
  }
  call.end();
}
