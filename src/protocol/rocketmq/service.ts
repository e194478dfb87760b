// apache.rocketmq.v2.MessagingService over the broker: one handler per RPC.
// Every answer carries a Status; a handler that throws answers
// INTERNAL_ERROR (logged), so no request can take the endpoint down.
import type { ServerCall } from '../grpc/call.js';
import type { StreamHandler, UnaryHandler } from '../grpc/server.js';
import type { Broker } from '../../broker/broker.js';
import { topicMessageType } from '../../broker/rocketmq/message-type.js';
import type { Popped } from '../../broker/rocketmq/delivery.js';
import type { Backing } from '../../broker/rocketmq/queue-records.js';
import { PopError, type PopService } from '../../broker/rocketmq/pop-service.js';
import { checkMessages, PublishError } from '../../broker/rocketmq/publish.js';
import { TimerError, type TimerStore } from '../../broker/rocketmq/timer/timer-store.js';
import type { TransactionStore } from '../../broker/rocketmq/transaction/transaction-store.js';
import type { ProducerStreams } from './producers.js';
import { durationMs, incoming, timestampMs } from './convert.js';
import { decodeSendRequest, SendRequest } from './decode-send.js';
import { NativeSend } from './native-send.js';
import { bytesHeld, deliveriesSent, encodeDeliveries } from './encode-received.js';
import { sendBatch, sendEntries } from './send.js';
import { takeLimits } from './polling.js';
import { notImplemented, OK, status, statusOf, type Status } from './status.js';
import { undecodable } from './proto.js';
import { ackEcho, PlainAcks } from './decode-requests.js';
import { ackHandles } from '../../broker/rocketmq/receipt-handle.js';
import { EchoedAcks } from './encode-answers.js';
import { telemetryHandler } from './telemetry.js';
import { getOffset, pull, updateOffset } from './pull.js';
import type { UnsentBytes } from './unsent-bytes.js';
import type { SettingsEcho } from './settings-echo.js';
import { AuthError, principalOf, requireAccess } from './auth.js';
import { BadRequest, consumedTopic, existingTopic, groupName, MAX_RESOURCE_CHARS, tagFilter, topicName } from './resources.js';

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
  telemetry: Set<ServerCall>;
  /** ReceiveMessage and PullMessage calls inside the broker now (long polls included): for stats and tests. */
  receiving: number;
  /** Log bytes pulls have read (receives' are the pop service's). */
  pulledBytesRead: number;
  /** Open Telemetry streams per client id: a client with one is connected (push consumers' deliveries are renewed meanwhile). */
  clients: Map<string, number>;
  /** Received messages written and not yet sent (slow readers), bounded per connection and in all. */
  unsent: UnsentBytes;
  /** Settings answers sent again while clients start (rocketmq-client-nodejs's startup race). */
  settingsEcho: SettingsEcho;
}

/** The client id every client request carries (BaseClient.getRequestMetadata: x-mq-client-id), or null. */
export function clientIdOf(call: Pick<ServerCall, 'metadata'>): string | null {
  const v = call.metadata.get('x-mq-client-id')[0];
  return v === undefined || v === '' ? null : String(v);
}

/** How long a push consumer's message (no invisible duration asked, auto renew) stays invisible per renewal, as RocketMQ's proxy. */
const AUTO_RENEW_INVISIBLE_MS = 60_000;

const MIN_INVISIBLE_MS = 1_000;
const MAX_INVISIBLE_MS = 12 * 3600 * 1000;

type Unary = (call: ServerCall) => Promise<Pb>;

/** A unary handler whose failures answer with a Status. */
function unary(ctx: ServiceContext, rpc: string, fn: Unary): UnaryHandler {
  return (call, callback) => {
    const bad = undecodable(call.request);
    if (bad !== null) return callback(null, { status: status('BAD_REQUEST', bad) });
    // Every call's signature is checked, whatever it asks and whether or not an authorizer is configured.
    Promise.resolve()
      .then(() => principalOf(ctx.broker, call))
      .then(() => fn(call))
      .then(
      (answer) => callback(null, answer),
      (err) => {
        const s = err instanceof BadRequest || err instanceof PublishError || err instanceof PopError || err instanceof TimerError || err instanceof AuthError ? status(err.code, err.message) : statusOf(err);
        if (s.code === 'INTERNAL_ERROR') ctx.log('error', `rocketmq ${rpc}: ${(err as Error).stack ?? String(err)}`);
        callback(null, { status: s });
      },
    );
  };
}

/** A server-streaming handler whose failures before it answers end the stream with their Status. */
function streaming(ctx: ServiceContext, rpc: string, fn: (call: ServerCall) => Promise<void>): StreamHandler {
  return (call) => {
    const bad = undecodable(call.request);
    if (bad !== null) {
      call.write({ status: status('BAD_REQUEST', bad) });
      call.end();
      return;
    }
    fn(call).catch((err) => {
      const s = err instanceof BadRequest || err instanceof PopError || err instanceof AuthError ? status(err.code, err.message) : statusOf(err);
      if (s.code === 'INTERNAL_ERROR') ctx.log('error', `rocketmq ${rpc}: ${(err as Error).stack ?? String(err)}`);
      if (!call.cancelled) {
        call.write({ status: s });
        call.end();
      }
    });
  };
}

function routeOf(ctx: ServiceContext, topic: string, resource: Pb, requested: Pb | null | undefined): Pb[] {
  const t = ctx.broker.topics.get(topic)!;
  let { host, port } = ctx.advertised();
  // Bound to every interface: the client reached us at the address it asked with.
  if (host === '0.0.0.0' || host === '::') {
    // Echoed once per queue: a host no name could be is not taken.
    const asked = requested?.addresses?.[0]?.host;
    host = typeof asked === 'string' && asked !== '' && asked.length <= MAX_RESOURCE_CHARS ? asked : '127.0.0.1';
  }
  const scheme = /^[\d.]+$/.test(host) ? 'IPv4' : host.includes(':') ? 'IPv6' : 'DOMAIN_NAME';
  const broker = { name: 'mqlab', id: 0, endpoints: { scheme, addresses: [{ host, port }] } };
  const queues: Pb[] = [];
  for (let id = 0; id < t.partitions; id++) {
    queues.push({ topic: resource, id, permission: 'READ_WRITE', broker, acceptMessageTypes: [topicMessageType(t)] });
  }
  return queues;
}

export function messagingHandlers(ctx: ServiceContext): Record<string, UnaryHandler | StreamHandler> {
  const storeHost = (): string => `${ctx.advertised().host}:${ctx.advertised().port}`;

  const queryRoute = unary(ctx, 'QueryRoute', async (call) => {
    ctx.settingsEcho.routeQueried(clientIdOf(call));
    const name = consumedTopic(call.request.topic);
    requireAccess(ctx.broker, call, 'DESCRIBE', 'TOPIC', name);
    existingTopic(ctx.broker, name);
    return { status: OK, messageQueues: routeOf(ctx, name, call.request.topic, call.request.endpoints) };
  });

  const heartbeat = unary(ctx, 'Heartbeat', async () => ({ status: OK }));
  const notifyClientTermination = unary(ctx, 'NotifyClientTermination', async () => ({ status: OK }));

  const sendMessage = unary(ctx, 'SendMessage', async (call) => {
    let request = call.request;
    // The plainest come as their batch (native-send.ts): appended as it is if the broker's checks pass it, else read again the JavaScript way for the error.
    if (request instanceof NativeSend) {
      if (ctx.broker.security.authorizer.enabled) requireAccess(ctx.broker, call, 'WRITE', 'TOPIC', request.topic);
      const answer = await sendBatch(ctx, request);
      if (answer !== null) return answer;
      request = decodeSendRequest(request.bytes);
      if (request === null) throw new Error('decode-send.ts declined a request the addon read');
    }
    // The usual bytes come decoded for the broker already (decode-send.ts); proto-loader's objects are converted here.
    const parsed = request instanceof SendRequest ? request.messages : ((request.messages ?? []) as Pb[]).map((m) => incoming(m));
    if (parsed.length === 0) throw new BadRequest('BAD_REQUEST', 'SendMessage carries no message');
    if (ctx.broker.security.authorizer.enabled) for (const topic of new Set(parsed.map((p) => p.topic))) requireAccess(ctx.broker, call, 'WRITE', 'TOPIC', topic);
    // All or none: a request with one bad message stores nothing.
    checkMessages(ctx.broker, parsed);
    return sendEntries(ctx, parsed, clientIdOf(call) ?? '');
  });

  const receiveMessage = streaming(ctx, 'ReceiveMessage', (call) => receive(ctx, call, storeHost()));

  const ackMessage = unary(ctx, 'AckMessage', async (call) => {
    const group = groupName(call.request.group);
    const topic = consumedTopic(call.request.topic);
    requireAccess(ctx.broker, call, 'READ', 'TOPIC', topic);
    requireAccess(ctx.broker, call, 'READ', 'GROUP', group);
    existingTopic(ctx.broker, topic);
    const req = call.request;
    let asked: Pb[];
    let errors: Array<Error | null>;
    if (req instanceof PlainAcks) {
      // The usual request: handles read from its bytes, and if all are acked, its entries' bytes answered back with OK.
      const acked = ctx.pop.ackEach(group, topic, req.count, ackHandles(req.bytes, req.count, (i) => req.handleAt(i), (i) => req.handleEnd(i)));
      if (acked.stored !== null) await acked.stored;
      errors = acked.errors;
      if (errors.every((e) => e === null)) return new EchoedAcks(req.echo);
      asked = req.entries();
    } else {
      asked = (req.entries ?? []) as Pb[];
      const acked = ctx.pop.ackAll(group, topic, asked.map((e) => String(e.receiptHandle ?? '')));
      if (acked.stored !== null) await acked.stored;
      errors = acked.errors;
      const echo = ackEcho(req);
      if (echo !== null && errors.every((e) => e === null)) return new EchoedAcks(echo);
    }
    const entries: Pb[] = asked.map((e, i) => {
      const err = errors[i];
      const s: Status = !err ? OK : err instanceof PopError ? status(err.code, err.message) : statusOf(err);
      return { messageId: e.messageId, receiptHandle: e.receiptHandle, status: s };
    });
    const failed = entries.filter((e) => e.status.code !== 'OK');
    const overall = failed.length === 0 ? OK : entries.length === 1 ? failed[0]!.status : status('MULTIPLE_RESULTS', `${failed.length} of ${entries.length} acks failed: see the entries`);
    return { status: overall, entries };
  });

  const changeInvisibleDuration = unary(ctx, 'ChangeInvisibleDuration', async (call) => {
    const topic = consumedTopic(call.request.topic);
    requireAccess(ctx.broker, call, 'READ', 'TOPIC', topic);
    requireAccess(ctx.broker, call, 'READ', 'GROUP', groupName(call.request.group));
    existingTopic(ctx.broker, topic);
    const ms = durationMs(call.request.invisibleDuration);
    // Below MIN_INVISIBLE_MS is refused for simple consumers only: a push consumer's nack may say 0 (pop-service.ts).
    if (ms === null || ms < 0 || ms > MAX_INVISIBLE_MS) throw new BadRequest('ILLEGAL_INVISIBLE_TIME', `invisible duration ${ms} ms: expected ${MIN_INVISIBLE_MS} ms to ${MAX_INVISIBLE_MS / 3600_000} h`);
    const handle = ctx.pop.changeInvisible(groupName(call.request.group), topic, String(call.request.receiptHandle ?? ''), ms, MIN_INVISIBLE_MS);
    return { status: OK, receiptHandle: handle };
  });

  const forwardToDeadLetterQueue = unary(ctx, 'ForwardMessageToDeadLetterQueue', async (call) => {
    const group = groupName(call.request.group);
    if (!group) throw new BadRequest('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
    const topic = consumedTopic(call.request.topic);
    requireAccess(ctx.broker, call, 'READ', 'TOPIC', topic);
    requireAccess(ctx.broker, call, 'READ', 'GROUP', group);
    existingTopic(ctx.broker, topic);
    await ctx.pop.forwardToDeadLetter(group, topic, String(call.request.receiptHandle ?? ''));
    return { status: OK };
  });

  // Pop consumption needs no balancing: every client of the group is
  // assigned every queue, and the broker hands each message to one of them.
  const queryAssignment = unary(ctx, 'QueryAssignment', async (call) => {
    const name = consumedTopic(call.request.topic);
    existingTopic(ctx.broker, name);
    if (!groupName(call.request.group)) throw new BadRequest('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
    requireAccess(ctx.broker, call, 'READ', 'GROUP', groupName(call.request.group));
    return { status: OK, assignments: routeOf(ctx, name, call.request.topic, call.request.endpoints).map((messageQueue) => ({ messageQueue })) };
  });

  const queryOffset = unary(ctx, 'QueryOffset', async (call) => {
    const mq: Pb | null = call.request.messageQueue;
    const name = consumedTopic(mq?.topic);
    requireAccess(ctx.broker, call, 'DESCRIBE', 'TOPIC', name);
    existingTopic(ctx.broker, name);
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

  const endTransaction = unary(ctx, 'EndTransaction', async (call) => {
    const topic = topicName(call.request.topic);
    requireAccess(ctx.broker, call, 'WRITE', 'TOPIC', topic);
    existingTopic(ctx.broker, topic);
    const r = call.request;
    await ctx.transactions.end(topic, String(r.messageId ?? ''), String(r.transactionId ?? ''), String(r.resolution ?? ''));
    return { status: OK };
  });

  const recallMessage = unary(ctx, 'RecallMessage', async (call) => {
    const topic = topicName(call.request.topic);
    requireAccess(ctx.broker, call, 'WRITE', 'TOPIC', topic);
    existingTopic(ctx.broker, topic);
    const messageId = await ctx.timer.recall(topic, String(call.request.recallHandle ?? ''));
    return { status: OK, messageId };
  });

  const unimplemented = (rpc: string, when: string): UnaryHandler => (_call, callback) => callback(null, { status: notImplemented(rpc, when) });
  const pullMessage = streaming(ctx, 'PullMessage', (call) => pull(ctx, call, storeHost()));

  return {
    QueryRoute: queryRoute,
    Heartbeat: heartbeat,
    SendMessage: sendMessage,
    QueryAssignment: queryAssignment,
    ReceiveMessage: receiveMessage,
    AckMessage: ackMessage,
    ForwardMessageToDeadLetterQueue: forwardToDeadLetterQueue,
    PullMessage: pullMessage,
    UpdateOffset: unary(ctx, 'UpdateOffset', (call) => updateOffset(ctx, call)),
    GetOffset: unary(ctx, 'GetOffset', (call) => getOffset(ctx, call)),
    QueryOffset: queryOffset,
    EndTransaction: endTransaction,
    Telemetry: telemetryHandler(ctx),
    NotifyClientTermination: notifyClientTermination,
    ChangeInvisibleDuration: changeInvisibleDuration,
    RecallMessage: recallMessage,
    SyncLiteSubscription: unimplemented('SyncLiteSubscription', 'lite topics'),
  };
}

async function receive(ctx: ServiceContext, call: ServerCall, storeHost: string): Promise<void> {
  principalOf(ctx.broker, call);
  const r = call.request;
  const group = groupName(r.group);
  if (!group) throw new BadRequest('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
  const mq: Pb | null = r.messageQueue;
  const topic = consumedTopic(mq?.topic);
  requireAccess(ctx.broker, call, 'READ', 'TOPIC', topic);
  requireAccess(ctx.broker, call, 'READ', 'GROUP', group);
  existingTopic(ctx.broker, topic);
  const filter = tagFilter(r.filterExpression);
  // Auto renew (push consumers): the broker keeps the message invisible while the client is connected.
  const renewFor = r.autoRenew === true ? clientIdOf(call) : null;
  const invisibleMs = durationMs(r.invisibleDuration) ?? (renewFor !== null ? AUTO_RENEW_INVISIBLE_MS : null);
  if (invisibleMs === null || invisibleMs < MIN_INVISIBLE_MS || invisibleMs > MAX_INVISIBLE_MS) {
    throw new BadRequest('ILLEGAL_INVISIBLE_TIME', `invisible duration ${invisibleMs ?? 'missing'}${invisibleMs === null ? '' : ' ms'}: expected ${MIN_INVISIBLE_MS} ms to ${MAX_INVISIBLE_MS / 3600_000} h`);
  }
  const { batchSize, pollMs, connection } = takeLimits(r, call, ctx.unsent);
  // Bytes counted against the bounds for this receive (held), and taken by the collect under way and not yet counted (taking).
  let held = 0;
  let taking = 0;
  const seen = new Set<Backing>();
  // Counted until HTTP/2 has sent them all (finish, below), the call is gone, or the receive failed, whichever comes first.
  const release = (): void => {
    if (held > 0) ctx.unsent.release(connection, held);
    held = 0;
  };
  ctx.receiving++;
  let popped: Popped[];
  try {
    popped = await ctx.pop.pop({
      group,
      topic,
      partition: Number(mq?.id ?? 0),
      filter,
      batchSize,
      invisibleMs,
      pollMs,
      cancelled: () => call.cancelled,
      renewFor,
      budget: {
        room: () => ctx.unsent.room(connection),
        hold: (bodyBytes, backing) => {
          const bytes = bytesHeld(bodyBytes, backing, seen);
          taking += bytes;
          return bytes;
        },
        settle: () => {
          if (taking === 0) return;
          ctx.unsent.add(connection, taking);
          held += taking;
          taking = 0;
        },
      },
    });
  } catch (err) {
    // Messages it took before failing come back when their invisible time ends; their bytes are not the connection's to hold.
    release();
    throw err;
  } finally {
    ctx.receiving--;
  }
  if (held > 0) {
    if (call.cancelled) release();
    call.once('close', release);
    call.once('cancelled', release);
  }
  if (call.cancelled) return; // taken messages come back when their invisible time ends
  if (popped.length === 0) {
    call.write({ status: status('MESSAGE_NOT_FOUND', 'no new message') });
  } else {
    // Written in one turn: they leave in one socket write.
    call.write({ status: OK });
    const pieces = encodeDeliveries(popped, mq!.topic, storeHost);
    for (const piece of pieces) call.writeFramed(piece);
    // The deliveries' buffer goes back only once they were sent: a call reset or cut off before then leaves it to the collector, as bytes of it may still wait in the connection's output.
    call.once('finish', () => {
      release();
      deliveriesSent(pieces);
    });
  }
  call.end();
}
