// Pull consumption over RocketMQ's gRPC API, lean as the receive loops
// (rocketmq.ts): PullMessage from the offset the last answer gave, one at a
// time (each pull's offset is the answer before it: a queue's pulls are
// sequential, as a Kafka consumer's fetches of a partition are). Each
// request is the group and queue's bytes, encoded once, then the offset's
// field, then the batch, filter and polling fields; each answer is walked
// by offsets (the bodies' stamps to the integrity tracker), not decoded.
import { Writer } from '../../protocol/rocketmq/writer.js';
import { GrpcSession, statusCodeIn, walkFields } from './grpc-wire.js';
import { IntegrityTracker } from './integrity.js';
import { MESSAGE_BODY, RESPONSE_MESSAGE, RESPONSE_STATUS } from './received.js';
import { CODE_MESSAGE_NOT_FOUND, CODE_OK, encode, trackStamp } from './rocketmq.js';
import { nowMicros } from './stamped-batch.js';

export interface RocketPullOptions {
  endpoint: string;
  topic: string;
  group: string;
  /** batchSize of each PullMessage (the broker caps it at 32). */
  batch: number;
  expectMessages: number;
  maxMs: number;
  integrity?: IntegrityTracker;
}

export interface RocketPullResult {
  received: number;
  pulls: number;
  errors: number;
  firstError: string | null;
  /** Until the expected messages had all come (or the time was up). */
  seconds: number;
  integrity: IntegrityTracker;
}

/** PullMessageResponse's next_offset (its status and message are as received.ts walks them). */
const NEXT_OFFSET = 3;
const POLL_MS = 500;

/** A PullMessageRequest from `offset`: the fixed fields around the offset's (protobuf fields may come in any order). */
function pullRequest(w: Writer, head: Buffer, tail: Buffer, offset: number): Buffer {
  w.start(head.length + tail.length + 11);
  w.raw(head);
  w.number(3, offset);
  w.raw(tail);
  return w.takeOwned();
}

export async function rocketPullLoad(o: RocketPullOptions): Promise<RocketPullResult> {
  const session = await GrpcSession.connect(o.endpoint);
  const head = encode('PullMessage', { group: { name: o.group }, messageQueue: { topic: { name: o.topic }, id: 0, permission: 'READ_WRITE' } });
  const tail = encode('PullMessage', { batchSize: o.batch, filterExpression: { type: 'TAG', expression: '*' }, longPollingTimeout: { seconds: '0', nanos: POLL_MS * 1e6 } });
  const w = new Writer();
  const r: RocketPullResult = { received: 0, pulls: 0, errors: 0, firstError: null, seconds: 0, integrity: o.integrity ?? new IntegrityTracker() };
  const start = nowMicros();
  let end = 0;
  let offset = 0;
  try {
    while (r.received < o.expectMessages && nowMicros() - start < o.maxMs * 1000) {
      r.pulls++;
      let code = -1;
      let next = -1;
      await session.callEach('PullMessage', pullRequest(w, head, tail, offset), POLL_MS + 5_000, (a) => {
        walkFields(a, 0, a.length, (field, wire, s, e, v) => {
          if (field === RESPONSE_STATUS && wire === 2) code = statusCodeIn(a, s, e);
          else if (field === NEXT_OFFSET && wire === 0) next = v;
          else if (field === RESPONSE_MESSAGE && wire === 2) {
            r.received++;
            walkFields(a, s, e, (mf, mw, bs, be) => {
              if (mf === MESSAGE_BODY && mw === 2) trackStamp(r.integrity, a, bs, be);
            });
          }
        });
      });
      if ((code !== CODE_OK && code !== CODE_MESSAGE_NOT_FOUND) || next < 0) {
        r.errors++;
        r.firstError ??= `PullMessage answered status ${code}, next offset ${next}`;
        break;
      }
      offset = next;
      if (r.received >= o.expectMessages) end = nowMicros();
    }
  } finally {
    session.close();
  }
  r.seconds = ((end || nowMicros()) - start) / 1e6;
  return r;
}
