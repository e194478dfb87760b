// A bare RocketMQ consumer for the lab: ReceiveMessage and AckMessage over
// the vendored protos with grpc-js, and nothing else. The official client
// adds telemetry streams, heartbeats, a route cache and per-message acks,
// which cost both processes CPU the lab would then count against the
// broker's read path; this one sends only what a receive loop must.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, protoRoot } from '../protocol/rocketmq/proto.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;
type Client = grpc.Client & Record<string, any>;

let ctor: (new (address: string, creds: grpc.ChannelCredentials) => Client) | null = null;

function client(endpoint: string): Client {
  if (!ctor) {
    const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
    ctor = (grpc.loadPackageDefinition(pkg) as Pb).apache.rocketmq.v2.MessagingService;
  }
  return new ctor!(endpoint, grpc.credentials.createInsecure());
}

export interface DrainOptions {
  endpoint: string;
  topic: string;
  group: string;
  /** The filter expression sent with every receive: a TAG one (`*`, `A || B`) or, with filterType SQL, a SQL92 one. */
  expression: string;
  /** TAG (the default) or SQL. */
  filterType?: 'TAG' | 'SQL';
  /** Stop once this many messages have been received (the caller knows the topic's content). */
  receiveTarget: number;
  /** Ack every received message, one AckMessage per receive, as a consumer must or they come back. */
  ack: boolean;
  batchSize?: number;
  /** Give up (throw) after this long. */
  maxMs: number;
}

export interface DrainResult {
  received: number;
  receivedBodyBytes: number;
  /** Messages received per tag ("" for none): what a client-side filter would keep is read off these. */
  perTag: Map<string, number>;
  /** Messages whose id came before in this drain. */
  duplicates: number;
  receives: number;
  emptyReceives: number;
  acks: number;
  seconds: number;
  /** This process's CPU (user + system) over the drain: the consumer's decoding, filtering and acking. */
  consumerCpuSeconds: number;
}

/**
 * Receives from queue 0 until `receiveTarget` messages have come, one
 * receive in flight (a SimpleConsumer's loop), each ack sent as its receive
 * returns and all awaited before the clock stops.
 */
export async function drain(o: DrainOptions): Promise<DrainResult> {
  const c = client(o.endpoint);
  const r: DrainResult = { received: 0, receivedBodyBytes: 0, perTag: new Map(), duplicates: 0, receives: 0, emptyReceives: 0, acks: 0, seconds: 0, consumerCpuSeconds: 0 };
  const acks: Promise<void>[] = [];
  const seen = new Set<string>();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = Date.now() + o.maxMs;
  try {
    while (r.received < o.receiveTarget) {
      if (Date.now() > deadline) throw new Error(`drain of ${o.topic} (${o.expression}) timed out after ${r.received} of ${o.receiveTarget} messages`);
      const messages = await receive(c, o, Math.max(1, Math.min(Date.now() + 30_000, deadline) - Date.now()));
      r.receives++;
      if (messages.length === 0) r.emptyReceives++;
      for (const m of messages) {
        const sp = m.systemProperties;
        const tag: string = sp.tag ?? '';
        r.received++;
        r.receivedBodyBytes += (m.body as Buffer).length;
        r.perTag.set(tag, (r.perTag.get(tag) ?? 0) + 1);
        if (seen.has(sp.messageId)) r.duplicates++;
        seen.add(sp.messageId);
      }
      if (o.ack && messages.length > 0) {
        const entries = messages.map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle }));
        const acked = unary(c, 'AckMessage', { group: { name: o.group }, topic: { name: o.topic }, entries }).then((a) => {
          if (a.status?.code !== 'OK') throw new Error(`AckMessage: ${a.status?.code} ${a.status?.message}`);
          r.acks += entries.length;
        });
        // Handled here so a drain that fails first leaves no unhandled rejection behind; Promise.all still sees it.
        acked.catch(() => undefined);
        acks.push(acked);
      }
    }
    await Promise.all(acks);
  } finally {
    c.close();
  }
  r.seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  r.consumerCpuSeconds = (cpu.user + cpu.system) / 1e6;
  return r;
}

function receive(c: Client, o: DrainOptions, timeoutMs: number): Promise<Pb[]> {
  return new Promise((resolve, reject) => {
    const out: Pb[] = [];
    let status: Pb | null = null;
    const call = c.ReceiveMessage(
      {
        group: { name: o.group },
        messageQueue: { topic: { name: o.topic }, id: 0 },
        filterExpression: { type: o.filterType ?? 'TAG', expression: o.expression },
        batchSize: o.batchSize ?? 32,
        // Longer than any lab run: nothing comes back unacked mid-drain.
        invisibleDuration: { seconds: '600' },
        longPollingTimeout: { seconds: '1' },
      },
      { deadline: Date.now() + timeoutMs },
    );
    call.on('data', (d: Pb) => {
      if (d.status) status = d.status;
      else if (d.message) out.push(d.message);
    });
    call.on('end', () => {
      const code = (status as Pb | null)?.code;
      if (code === 'OK' || code === 'MESSAGE_NOT_FOUND') resolve(out);
      else reject(new Error(`ReceiveMessage: ${code} ${(status as Pb | null)?.message ?? ''}`));
    });
    call.on('error', reject);
  });
}

function unary(c: Client, method: string, request: Pb): Promise<Pb> {
  return new Promise((resolve, reject) => {
    c[method](request, { deadline: Date.now() + 30_000 }, (err: Error | null, res: Pb) => (err ? reject(err) : resolve(res)));
  });
}
