// A raw RocketMQ 5 gRPC client for the lab's load (MessagingService over the
// vendored protos), rather than the official client: it sends many messages
// a request, keeps a window of requests in flight, stamps each received
// message the moment its stream frame arrives, and sees Telemetry commands
// (transaction check-backs) as they come, none of which the official
// client's API exposes.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, protoRoot } from '../protocol/rocketmq/proto.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto objects */
export type Pb = Record<string, any>;
type Stub = grpc.Client & Record<string, any>;

let definition: any = null;
function stubClass(): any {
  definition ??= grpc.loadPackageDefinition(protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] }));
  return definition.apache.rocketmq.v2.MessagingService;
}

export const toTimestamp = (ms: number): Pb => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
export const timestampOf = (t: Pb): number => Number(t.seconds) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
/** A received message's delivery time, ms. */
export const deliveryOf = (m: Pb): number => timestampOf(m.systemProperties.deliveryTimestamp);
export const idOf = (m: Pb): string => String(m.systemProperties.messageId);

export type MessageType = 'NORMAL' | 'DELAY' | 'TRANSACTION';

let serial = 0;
/** Message ids must be unique per broker: the pid and a counter keep two lab processes apart too. */
function messageId(): string {
  return `01LAB${process.pid.toString(16).padStart(6, '0')}${(++serial).toString(16).padStart(14, '0')}`;
}

/** A SendMessageRequest message; `deliverMs` makes it DELAY. */
export function rocketMessage(topic: string, type: MessageType, body: Buffer, deliverMs?: number, queueId = 0): Pb {
  const systemProperties: Pb = { messageId: messageId(), messageType: type, bornTimestamp: toTimestamp(Date.now()), queueId };
  if (deliverMs !== undefined) systemProperties.deliveryTimestamp = toTimestamp(deliverMs);
  return { topic: { name: topic }, body, systemProperties };
}

export interface Received {
  message: Pb;
  /** Date.now() when its frame arrived. */
  at: number;
}

export interface ReceiveOptions {
  group: string;
  topic: string;
  queueId?: number;
  batchSize?: number;
  invisibleMs?: number;
  longPollMs?: number;
}

class ReceiveRefused extends Error {}

export class RocketClient {
  private readonly stub: Stub;
  private readonly metadata = new grpc.Metadata();

  /** `clientId` goes in x-mq-client-id, as the official clients send it: the broker asks a half's own producer first. */
  constructor(readonly endpoint: string, readonly clientId = `lab-${process.pid}-${++serial}`) {
    const Stub = stubClass();
    this.stub = new Stub(endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // Back within 100 ms of a restarted broker listening again (grpc-js waits 1 s and more by default), so a wait measured across a restart is the broker's.
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 100,
    });
    this.metadata.set('x-mq-client-id', clientId);
  }

  /**
   * A unary call; `waitForReady` lets a call made while the broker restarts
   * wait for it, within the deadline, instead of failing at once.
   */
  unary(method: string, request: Pb, deadlineMs = 60_000): Promise<Pb> {
    return new Promise((resolve, reject) => {
      this.stub[method](request, this.metadata, { deadline: Date.now() + deadlineMs, waitForReady: true }, (err: Error | null, res: Pb) => (err ? reject(err) : resolve(res)));
    });
  }

  /** SendMessage; throws unless every entry is OK. */
  async send(messages: Pb[]): Promise<Pb[]> {
    const r = await this.unary('SendMessage', { messages });
    if (r.status.code !== 'OK') throw new Error(`SendMessage: ${r.status.code} ${r.status.message}`);
    return r.entries;
  }

  async endTransaction(m: Pb, transactionId: string, resolution: 'COMMIT' | 'ROLLBACK', source: 'SOURCE_CLIENT' | 'SOURCE_SERVER_CHECK' = 'SOURCE_CLIENT'): Promise<void> {
    const r = await this.unary('EndTransaction', { topic: m.topic, messageId: m.systemProperties.messageId, transactionId, resolution, source });
    if (r.status.code !== 'OK') throw new Error(`EndTransaction: ${r.status.code} ${r.status.message}`);
  }

  /** One long-polling ReceiveMessage; each message is stamped as its frame arrives. Empty when the poll ran out. */
  receive(o: ReceiveOptions): Promise<Received[]> {
    const request = {
      group: { name: o.group },
      messageQueue: { topic: { name: o.topic }, id: o.queueId ?? 0 },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: o.batchSize ?? 32,
      invisibleDuration: { seconds: String(Math.ceil((o.invisibleMs ?? 300_000) / 1000)), nanos: 0 },
      longPollingTimeout: { seconds: String(Math.ceil((o.longPollMs ?? 5_000) / 1000)), nanos: 0 },
    };
    return new Promise((resolve, reject) => {
      const out: Received[] = [];
      let refused: Pb | null = null;
      const call = this.stub.ReceiveMessage(request, this.metadata, { deadline: Date.now() + (o.longPollMs ?? 5_000) + 30_000, waitForReady: true });
      call.on('data', (d: Pb) => {
        if (d.message) out.push({ message: d.message, at: Date.now() });
        else if (d.status && d.status.code !== 'OK' && d.status.code !== 'MESSAGE_NOT_FOUND') refused = d.status;
      });
      call.on('end', () => (refused ? reject(new ReceiveRefused(`ReceiveMessage: ${refused.code} ${refused.message}`)) : resolve(out)));
      call.on('error', reject);
    });
  }

  /**
   * Receives until `done()` or `deadline` (Date.now() ms), handing each
   * message to `each`. A call that fails at the transport (the broker
   * killed, restarting) is made again; a refusal by the broker is thrown.
   */
  async receiveUntil(o: ReceiveOptions, each: (r: Received) => void, done: () => boolean, deadline: number): Promise<void> {
    while (!done() && Date.now() < deadline) {
      try {
        for (const r of await this.receive({ ...o, longPollMs: Math.min(o.longPollMs ?? 5_000, Math.max(1_000, deadline - Date.now())) })) each(r);
      } catch (err) {
        if (err instanceof ReceiveRefused) throw err;
      }
    }
  }

  /**
   * A producer's Telemetry stream for `topics`: resolves once the broker
   * answered its settings (from then on it may send check-backs, each
   * handed to `onCheck` with its arrival time).
   */
  producerTelemetry(topics: string[], onCheck: (command: Pb, at: number) => void): Promise<{ close(): void }> {
    const call = this.stub.Telemetry(this.metadata);
    return new Promise((resolve, reject) => {
      let settled = false;
      call.on('data', (cmd: Pb) => {
        if (cmd.recoverOrphanedTransactionCommand) onCheck(cmd.recoverOrphanedTransactionCommand, Date.now());
        else if (cmd.settings && !settled) {
          settled = true;
          resolve({ close: () => call.cancel() });
        }
      });
      call.on('error', (err: Error & { code?: number }) => {
        if (!settled) reject(err);
      });
      call.write({ settings: { clientType: 'PRODUCER', requestTimeout: { seconds: '10', nanos: 0 }, publishing: { topics: topics.map((name) => ({ name })) } } });
    });
  }

  close(): void {
    this.stub.close();
  }
}

/** Runs `n` jobs with `window` of them in flight; resolves to the seconds it took. */
export async function inFlight(n: number, window: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(window, n) }, async () => {
      while (next < n) await job(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}
