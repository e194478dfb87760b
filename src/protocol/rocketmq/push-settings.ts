// The Settings a PushConsumer lives by (its Telemetry answer): the
// subscription back, FIFO or not (the group's `fifo` config, for groups
// subscribed to a FIFO topic), and the group's retry policy as RocketMQ 5's
// proxy sends it: the retry ladder as a customized backoff for concurrent
// consumption (the client nacks with the ladder's wait and the broker
// redelivers, or dead-letters after max.delivery.attempts), an exponential
// one for FIFO consumption (the client retries in place, then forwards to
// the DLQ itself). Clients that cannot read a customized backoff (the Node
// client ignores it and nacks with 0) still get the ladder: the broker
// applies it to every push consumer's nack.
import { DEFAULT_LADDER, parseLadder } from '../../broker/rocketmq/retry-ladder.js';
import { toDuration } from './convert.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export interface GroupPolicy {
  maxDeliveryAttempts: number;
  backoffSteps: readonly number[];
  /** The group consumes in FIFO order (fifo=true and a FIFO topic among its subscriptions). */
  fifo: boolean;
}

export const DEFAULT_GROUP_POLICY: GroupPolicy = { maxDeliveryAttempts: 16, backoffSteps: parseLadder(DEFAULT_LADDER) as number[], fifo: false };

export function pushConsumerSettings(client: Pb, common: Pb, policy: GroupPolicy, receiveBatchSize: number, longPollingMs: number): Pb {
  const steps = policy.backoffSteps;
  const backoffPolicy = policy.fifo
    ? { maxAttempts: policy.maxDeliveryAttempts, exponentialBackoff: { initial: toDuration(steps[0]!), max: toDuration(steps[steps.length - 1]!), multiplier: 2 } }
    : { maxAttempts: policy.maxDeliveryAttempts, customizedBackoff: { next: steps.map(toDuration) } };
  return {
    ...common,
    backoffPolicy,
    subscription: {
      group: client.subscription?.group,
      subscriptions: client.subscription?.subscriptions ?? [],
      fifo: policy.fifo,
      receiveBatchSize,
      longPollingTimeout: client.subscription?.longPollingTimeout ?? toDuration(longPollingMs),
    },
  };
}
