// A plain 1 KiB RocketMQ message as a producer sends it, for the tests of
// what the broker stores and delivers to vary field by field.
import type { RocketMessage } from '../../src/broker/rocketmq/message-record.js';

export const plainMessage: RocketMessage = {
  messageId: '01AABBCCDDEEFF00112233445566778899',
  body: Buffer.alloc(1024, 0x2e),
  tag: null,
  keys: [],
  messageGroup: null,
  deliveryTimestampMs: null,
  bornTimestampMs: 1_764_000_000_123n,
  bornHost: '127.0.0.1',
  bodyEncoding: 'IDENTITY',
  traceContext: null,
  userProperties: new Map(),
};
