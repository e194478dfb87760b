// The protocols scenario's other clients: RocketMQ's official Node client
// (rocketmq-client-nodejs, a dev dependency: loaded only when a run asks for
// it, and reported missing rather than failing where it is not installed),
// for what an application sees; and @grpc/grpc-js's own client over the
// vendored protos, for sequential request latency next to the lean one's.
import type { RecordableHistogram } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { IntegrityTracker } from '../../client/load/integrity.js';
import { newLatencyHistogram, recordMicros } from '../../client/load/histogram.js';
import { BODY_STAMP_BYTES, trackStamp } from '../../client/load/rocketmq.js';
import { nowMicros } from '../../client/load/stamped-batch.js';
import { messagingService } from '../../protocol/rocketmq/proto.js';
import type { RunOutcome, Sent } from './protocols-runs.js';

type Official = typeof import('rocketmq-client-nodejs');

/** The official client, or the reason it cannot be used here. */
export async function loadOfficialClient(): Promise<Official | string> {
  try {
    return await import('rocketmq-client-nodejs');
  } catch (err) {
    return `rocketmq-client-nodejs is not installed (${(err as Error).message.split('\n')[0]}): npm install (with dev dependencies) adds it`;
  }
}

// Its default logger writes to ~/logs/rocketmq; errors still reach stderr.
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (...a: unknown[]) => console.error('[rocketmq-client-nodejs]', ...a) };

function stampedBody(valueBytes: number, producerId: bigint, seq: number): Buffer {
  const body = Buffer.alloc(valueBytes, 0x2e);
  body.writeBigInt64BE(producerId, 0);
  body.writeBigInt64BE(BigInt(seq), 8);
  return body;
}

export interface OfficialProducer {
  /** `messages` sends, `window` of them awaited at once; each send() is one SendMessage of one message (the client's API). */
  load(topic: string, messages: number, window: number, valueBytes: number, producerId: bigint, maxMs: number): Promise<RunOutcome & { latency: RecordableHistogram }>;
  close(): Promise<void>;
}

export async function officialProducer(client: Official, endpoint: string, topics: string[]): Promise<OfficialProducer> {
  const p = new client.Producer({ endpoints: endpoint, namespace: '', logger: quiet, topics });
  await p.startup();
  return {
    async load(topic, messages, window, valueBytes, producerId, maxMs) {
      if (valueBytes < BODY_STAMP_BYTES) throw new RangeError(`messages need at least ${BODY_STAMP_BYTES} body bytes`);
      const latency = newLatencyHistogram();
      const out = { messages: 0, requests: 0, seconds: 0, errors: 0, firstError: null as string | null, integrity: null, latency };
      const start = nowMicros();
      let next = 0;
      const loop = async (): Promise<void> => {
        while (next < messages && nowMicros() - start < maxMs * 1000) {
          const body = stampedBody(valueBytes, producerId, next++);
          const t = nowMicros();
          out.requests++;
          try {
            await p.send({ topic, body });
            recordMicros(latency, nowMicros() - t);
            out.messages++;
          } catch (err) {
            out.errors++;
            out.firstError ??= (err as Error).message;
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: window }, loop));
      out.seconds = (nowMicros() - start) / 1e6;
      return out;
    },
    close: () => p.shutdown(),
  };
}

export interface OfficialConsumer {
  /** receive(batch) then ack() of each message (one AckMessage each: the client's API), `loops` at once. */
  load(sent: Sent, batch: number, loops: number, maxMs: number, run: string): Promise<RunOutcome>;
  close(): Promise<void>;
}

export async function officialConsumer(client: Official, endpoint: string, topic: string, group: string): Promise<OfficialConsumer> {
  const c = new client.SimpleConsumer({ endpoints: endpoint, namespace: '', logger: quiet, consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 500 });
  await c.startup();
  return {
    async load(sent, batch, loops, maxMs, run) {
      const integrity = new IntegrityTracker();
      const out: RunOutcome = { messages: 0, requests: 0, seconds: 0, errors: 0, firstError: null, integrity: null };
      const start = nowMicros();
      let end = 0;
      const loop = async (): Promise<void> => {
        while (out.messages < sent.messages && nowMicros() - start < maxMs * 1000) {
          try {
            out.requests++;
            const got = await c.receive(batch, 60_000);
            for (const m of got) trackStamp(integrity, m.body, 0, m.body.length);
            out.messages += got.length;
            if (out.messages >= sent.messages && end === 0) end = nowMicros();
            out.requests += got.length;
            await Promise.all(got.map((m) => c.ack(m)));
          } catch (err) {
            out.errors++;
            out.firstError ??= (err as Error).message;
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: loops }, loop));
      out.seconds = ((end || nowMicros()) - start) / 1e6;
      if (out.messages < sent.messages) {
        out.errors++;
        out.firstError ??= `received ${out.messages} of ${sent.messages} messages in ${maxMs} ms`;
      }
      out.integrity = integrity.report(run, new Map([[sent.producerId, sent.messages]]));
      return out;
    },
    close: () => c.shutdown(),
  };
}

/** `count` SendMessage calls one after another through grpc-js's generated client: each call's latency, µs. */
export async function grpcJsSequential(endpoint: string, topic: string, count: number, valueBytes: number): Promise<RecordableHistogram> {
  /* eslint-disable @typescript-eslint/no-explicit-any -- a client made from a service definition */
  const Client = grpc.makeGenericClientConstructor(messagingService(), 'MessagingService');
  const client = new Client(endpoint, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
  const latency = newLatencyHistogram();
  try {
    for (let i = 0; i < count; i++) {
      const request = { messages: [{ topic: { name: topic }, systemProperties: { messageId: `01${String(i).padStart(32, '0')}`, messageType: 'NORMAL', bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 } }, body: Buffer.alloc(valueBytes, 0x2e) }] };
      const t = nowMicros();
      const answer = await new Promise<any>((resolve, reject) => client.SendMessage(request, { deadline: Date.now() + 30_000 }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
      if (answer.status?.code !== 'OK') throw new Error(`grpc-js SendMessage answered ${JSON.stringify(answer.status)}`);
      recordMicros(latency, nowMicros() - t);
    }
  } finally {
    client.close();
  }
  return latency;
}
