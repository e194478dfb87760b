// The Telemetry stream's first job: a client sends its Settings and waits
// for the server's before its startup completes (BaseClient.startup). The
// answer per client type is what the client then lives by: producers take
// the backoff policy (it must be exponential: PublishingSettings.sync
// asserts it) and the largest body they may send; consumers get the
// subscription back with the receive batch limit and long-polling timeout.
import { DEFAULT_GROUP_POLICY, pushConsumerSettings, type GroupPolicy } from './push-settings.js';
import type { Status } from './status.js';
import { OK, status } from './status.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

/** At most this many messages per ReceiveMessage, as RocketMQ's proxy. */
export const MAX_RECEIVE_BATCH = 32;
export const DEFAULT_LONG_POLLING_MS = 20_000;

export interface ServerLimits {
  maxBodyBytes: number;
  /** A consumer group's retry policy and FIFO mode, for the topics it subscribes to (absent: RocketMQ's defaults, not FIFO). */
  groupPolicy?: (group: string, topics: string[]) => GroupPolicy;
}

export function answerSettings(client: Pb, limits: ServerLimits): { status: Status; settings?: Pb } {
  const common = {
    clientType: client.clientType,
    accessPoint: client.accessPoint,
    requestTimeout: client.requestTimeout,
    userAgent: client.userAgent,
    metric: { on: false },
  };
  switch (client.clientType) {
    case 'PRODUCER':
      return {
        status: OK,
        settings: {
          ...common,
          backoffPolicy: {
            maxAttempts: client.backoffPolicy?.maxAttempts || 3,
            exponentialBackoff: { initial: { seconds: '0', nanos: 10_000_000 }, max: { seconds: '1', nanos: 0 }, multiplier: 2 },
          },
          publishing: { topics: client.publishing?.topics ?? [], maxBodySize: limits.maxBodyBytes, validateMessageType: true },
        },
      };
    case 'SIMPLE_CONSUMER':
      return {
        status: OK,
        settings: {
          ...common,
          // Consumers' retry policy governs redelivery backoff, which phase 1
          // does not apply (a message comes back when its invisible time ends).
          backoffPolicy: { maxAttempts: 16, exponentialBackoff: { initial: { seconds: '1', nanos: 0 }, max: { seconds: '60', nanos: 0 }, multiplier: 2 } },
          subscription: {
            group: client.subscription?.group,
            subscriptions: client.subscription?.subscriptions ?? [],
            fifo: false,
            receiveBatchSize: MAX_RECEIVE_BATCH,
            longPollingTimeout: client.subscription?.longPollingTimeout ?? { seconds: String(DEFAULT_LONG_POLLING_MS / 1000), nanos: 0 },
          },
        },
      };
    case 'PUSH_CONSUMER': {
      const topics = ((client.subscription?.subscriptions ?? []) as Pb[]).map((e) => String(e.topic?.name ?? ''));
      const policy = limits.groupPolicy?.(String(client.subscription?.group?.name ?? ''), topics) ?? DEFAULT_GROUP_POLICY;
      return { status: OK, settings: pushConsumerSettings(client, common, policy, MAX_RECEIVE_BATCH, DEFAULT_LONG_POLLING_MS) };
    }
    case 'PULL_CONSUMER':
      // A pull consumer names its group and no subscriptions (it assigns itself queues); it takes the long-polling timeout back.
      return {
        status: OK,
        settings: {
          ...common,
          subscription: {
            group: client.subscription?.group,
            subscriptions: [],
            fifo: false,
            receiveBatchSize: MAX_RECEIVE_BATCH,
            longPollingTimeout: client.subscription?.longPollingTimeout ?? { seconds: String(DEFAULT_LONG_POLLING_MS / 1000), nanos: 0 },
          },
        },
      };
    case 'LITE_PUSH_CONSUMER':
    case 'LITE_SIMPLE_CONSUMER':
      return { status: status('NOT_IMPLEMENTED', `${client.clientType} clients are not supported by mqlab yet: use Producer, SimpleConsumer, PushConsumer or pull consumption`) };
    default:
      return { status: status('UNRECOGNIZED_CLIENT_TYPE', `client type ${client.clientType ?? 'none'}: expected PRODUCER, SIMPLE_CONSUMER, PUSH_CONSUMER or PULL_CONSUMER`) };
  }
}
