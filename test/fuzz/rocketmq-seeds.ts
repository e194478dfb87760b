// Valid requests of every RPC of apache.rocketmq.v2.MessagingService, as a
// client of the fuzz world would send them: its topics of each message type,
// its groups, and receipt handles, recall handles and transaction ids the
// broker really issued (setup collects them), so that the mutations start
// from requests that reach deep into the handlers.
import type { Prng } from '../helpers/prng.js';
import { rpcs, type Rpc } from './rocketmq-schema.js';

export type MessageKind = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

export interface FuzzWorld {
  port: number;
  topics: readonly { name: string; queues: number; type: MessageKind }[];
  groups: readonly string[];
  receiptHandles: { topic: string; group: string; messageId: string; handle: string }[];
  recallHandles: { topic: string; handle: string }[];
  transactions: { topic: string; messageId: string; transactionId: string }[];
}

export interface SeedCall {
  rpc: Rpc;
  /** One request, or for Telemetry the commands the client sends before it half-closes. */
  requests: Record<string, unknown>[];
  clientId: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- plain proto objects */
type Pb = Record<string, any>;

const TAGS = ['A', 'B', 'C', 'tag-with-dash', 'TagA'];
let messageSeq = 0;

function messageId(rng: Prng): string {
  return `01FZ${(++messageSeq).toString(16).padStart(8, '0')}${rng.u32().toString(16).padStart(8, '0')}`.toUpperCase();
}

function seconds(ms: number): Pb {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function nowStamp(): Pb {
  return seconds(Date.now());
}

function endpoints(w: FuzzWorld): Pb {
  return { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: w.port }] };
}

function topicOf(rng: Prng, w: FuzzWorld, type?: MessageKind) {
  const fitting = type ? w.topics.filter((t) => t.type === type) : w.topics;
  return rng.pick(fitting);
}

function queue(rng: Prng, w: FuzzWorld, topic: { name: string; queues: number; type: MessageKind }): Pb {
  return {
    topic: { name: topic.name },
    id: rng.int(topic.queues),
    permission: 'READ_WRITE',
    broker: { name: 'mqlab', id: 0, endpoints: endpoints(w) },
    acceptMessageTypes: [topic.type],
  };
}

function message(rng: Prng, topic: { name: string; queues: number; type: MessageKind }): Pb {
  const sp: Pb = {
    messageId: messageId(rng),
    messageType: topic.type,
    bornTimestamp: nowStamp(),
    bornHost: 'fuzz-host',
    queueId: rng.int(topic.queues),
    bodyEncoding: 'IDENTITY',
  };
  if (rng.chance(0.7)) sp.tag = rng.pick(TAGS);
  if (rng.chance(0.5)) sp.keys = Array.from({ length: rng.range(1, 3) }, (_, i) => `key-${i}-${rng.int(100)}`);
  if (topic.type === 'FIFO') sp.messageGroup = `mg-${rng.int(4)}`;
  // Due within the run: the timer store delivers them while the fuzzing goes on.
  if (topic.type === 'DELAY') sp.deliveryTimestamp = seconds(Date.now() + rng.range(500, 5000));
  if (rng.chance(0.2)) sp.traceContext = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const userProperties: Pb = {};
  for (let i = rng.int(3); i > 0; i--) userProperties[`p${i}`] = `v${rng.int(1000)}`;
  return { topic: { name: topic.name }, userProperties, systemProperties: sp, body: rng.bytes(rng.pick([0, 1, 16, 200, 4000])) };
}

function filter(rng: Prng): Pb {
  return rng.pick([{ type: 'TAG', expression: '*' }, { type: 'TAG', expression: 'A || B' }, { type: 'TAG', expression: 'C' }, { type: 'FILTER_TYPE_UNSPECIFIED', expression: '*' }]);
}

function settingsCommand(rng: Prng, w: FuzzWorld): Pb {
  const clientType = rng.pick(['PRODUCER', 'SIMPLE_CONSUMER', 'PUSH_CONSUMER']);
  const common: Pb = {
    clientType,
    accessPoint: endpoints(w),
    requestTimeout: seconds(3000),
    userAgent: { language: 'NODE_JS', version: '5.0.0', platform: 'linux', hostname: 'fuzz' },
    metric: { on: false },
  };
  if (clientType === 'PRODUCER') {
    common.backoffPolicy = { maxAttempts: 3, exponentialBackoff: { initial: seconds(10), max: seconds(1000), multiplier: 2 } };
    common.publishing = { topics: w.topics.filter(() => rng.chance(0.5)).map((t) => ({ name: t.name })), maxBodySize: 4 * 1024 * 1024, validateMessageType: true };
  } else {
    const group = rng.pick(w.groups);
    common.subscription = {
      group: { name: group },
      subscriptions: [{ topic: { name: topicOf(rng, w).name }, expression: filter(rng) }],
      fifo: rng.chance(0.3),
      receiveBatchSize: 32,
      longPollingTimeout: seconds(1000),
    };
    if (clientType === 'PUSH_CONSUMER') common.backoffPolicy = { maxAttempts: 16, customizedBackoff: { next: [seconds(1000), seconds(5000)] } };
  }
  return { settings: common };
}

type Builder = (rng: Prng, w: FuzzWorld) => Pb[];

const BUILDERS: Record<string, Builder> = {
  QueryRoute: (rng, w) => [{ topic: { name: topicOf(rng, w).name }, endpoints: endpoints(w) }],
  Heartbeat: (rng, w) => [{ group: { name: rng.pick(w.groups) }, clientType: rng.pick(['PRODUCER', 'SIMPLE_CONSUMER', 'PUSH_CONSUMER']) }],
  SendMessage: (rng, w) => {
    const t = topicOf(rng, w);
    return [{ messages: Array.from({ length: rng.weighted([[8, 1], [2, 3], [1, 8]]) }, () => message(rng, t)) }];
  },
  QueryAssignment: (rng, w) => [{ topic: { name: topicOf(rng, w).name }, group: { name: rng.pick(w.groups) }, endpoints: endpoints(w) }],
  ReceiveMessage: (rng, w) => {
    const t = topicOf(rng, w);
    return [{
      group: { name: rng.pick(w.groups) },
      messageQueue: queue(rng, w, t),
      filterExpression: filter(rng),
      batchSize: rng.pick([1, 8, 16, 32]),
      invisibleDuration: seconds(rng.pick([1000, 5000, 30_000])),
      autoRenew: false,
      longPollingTimeout: seconds(rng.pick([0, 100, 500])),
      attemptId: `attempt-${rng.u32()}`,
    }];
  },
  AckMessage: (rng, w) => {
    const picked = Array.from({ length: rng.range(1, 3) }, () => (w.receiptHandles.length > 0 ? rng.pick(w.receiptHandles) : null)).filter((h) => h !== null);
    const t = picked[0]?.topic ?? topicOf(rng, w).name;
    return [{ group: { name: picked[0]?.group ?? rng.pick(w.groups) }, topic: { name: t }, entries: picked.map((h) => ({ messageId: h.messageId, receiptHandle: h.handle })) }];
  },
  ForwardMessageToDeadLetterQueue: (rng, w) => {
    const h = w.receiptHandles.length > 0 ? rng.pick(w.receiptHandles) : { topic: topicOf(rng, w).name, group: rng.pick(w.groups), messageId: messageId(rng), handle: '1.0.0.000000000000.1' };
    return [{ group: { name: h.group }, topic: { name: h.topic }, receiptHandle: h.handle, messageId: h.messageId, deliveryAttempt: rng.range(1, 16), maxDeliveryAttempts: 16 }];
  },
  PullMessage: (rng, w) => {
    const t = topicOf(rng, w);
    return [{ group: { name: rng.pick(w.groups) }, messageQueue: queue(rng, w, t), offset: String(rng.int(100)), batchSize: rng.pick([1, 8, 32, 100]), filterExpression: filter(rng), longPollingTimeout: seconds(rng.pick([0, 100])) }];
  },
  UpdateOffset: (rng, w) => [{ group: { name: rng.pick(w.groups) }, messageQueue: queue(rng, w, topicOf(rng, w)), offset: String(rng.int(100)) }],
  GetOffset: (rng, w) => [{ group: { name: rng.pick(w.groups) }, messageQueue: queue(rng, w, topicOf(rng, w)) }],
  QueryOffset: (rng, w) => {
    const policy = rng.pick(['BEGINNING', 'END', 'TIMESTAMP']);
    const r: Pb = { messageQueue: queue(rng, w, topicOf(rng, w)), queryOffsetPolicy: policy };
    if (policy === 'TIMESTAMP') r.timestamp = seconds(Date.now() - rng.int(60_000));
    return [r];
  },
  EndTransaction: (rng, w) => {
    const tx = w.transactions.length > 0 ? rng.pick(w.transactions) : { topic: topicOf(rng, w, 'TRANSACTION').name, messageId: messageId(rng), transactionId: 'none' };
    return [{ topic: { name: tx.topic }, messageId: tx.messageId, transactionId: tx.transactionId, resolution: rng.pick(['COMMIT', 'ROLLBACK']), source: rng.pick(['SOURCE_CLIENT', 'SOURCE_SERVER_CHECK']), traceContext: '' }];
  },
  Telemetry: (rng, w) => {
    const n = rng.weighted([[6, 1], [3, 2], [1, 4]]);
    return Array.from({ length: n }, () =>
      rng.weighted<() => Pb>([
        [8, () => settingsCommand(rng, w)],
        [1, () => ({ threadStackTrace: { nonce: `n${rng.u32()}`, threadStackTrace: 'main' } })],
        [1, () => ({ verifyMessageResult: { nonce: `n${rng.u32()}` }, status: { code: 'OK', message: 'ok' } })],
      ])(),
    );
  },
  NotifyClientTermination: (rng, w) => [{ group: { name: rng.pick(w.groups) } }],
  ChangeInvisibleDuration: (rng, w) => {
    const h = w.receiptHandles.length > 0 ? rng.pick(w.receiptHandles) : { topic: topicOf(rng, w).name, group: rng.pick(w.groups), messageId: messageId(rng), handle: '1.0.0.000000000000.1' };
    return [{ group: { name: h.group }, topic: { name: h.topic }, receiptHandle: h.handle, invisibleDuration: seconds(rng.pick([1000, 10_000, 60_000])), messageId: h.messageId }];
  },
  RecallMessage: (rng, w) => {
    const r = w.recallHandles.length > 0 ? rng.pick(w.recallHandles) : { topic: topicOf(rng, w, 'DELAY').name, handle: 'bm9uZQ' };
    return [{ topic: { name: r.topic }, recallHandle: r.handle }];
  },
  SyncLiteSubscription: (rng, w) => [{ action: 'PARTIAL_ADD', topic: { name: topicOf(rng, w).name }, group: { name: rng.pick(w.groups) }, liteTopicSet: ['lite-a'], version: '1', offsetOption: { policy: 'LAST' } }],
};

/** How often each RPC is drawn: the ones with the most to check more often. */
const WEIGHTS: Record<string, number> = {
  SendMessage: 10, ReceiveMessage: 8, AckMessage: 6, ChangeInvisibleDuration: 5, Telemetry: 6, QueryRoute: 4, QueryAssignment: 3, QueryOffset: 4,
  EndTransaction: 4, RecallMessage: 4, ForwardMessageToDeadLetterQueue: 3, Heartbeat: 2, NotifyClientTermination: 2, PullMessage: 4, UpdateOffset: 2, GetOffset: 2, SyncLiteSubscription: 1,
};

export function seedCall(rng: Prng, w: FuzzWorld): SeedCall {
  const all = rpcs();
  for (const r of all) if (!BUILDERS[r.name]) throw new Error(`no seed for RPC ${r.name}: add one to rocketmq-seeds.ts`);
  const rpc = rng.weighted(all.map((r) => [WEIGHTS[r.name] ?? 1, r] as const));
  return { rpc, requests: BUILDERS[rpc.name]!(rng, w), clientId: rng.pick(['fuzz-client-1', 'fuzz-client-2', `fuzz@${rng.int(1000)}#${rng.u32()}`]) };
}
