// RocketMQ's official Node client (rocketmq-client-nodejs, unchanged) against
// a test broker's RocketMQ endpoint, with a quiet logger (the default one
// writes to ~/logs/rocketmq); MQLAB_TEST_LOG=1 shows what the client says.
// Also a raw gRPC client over the vendored protos, for requests the official
// client would refuse to send (malformed, or already checked client-side).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { afterEach } from 'vitest';
import { LOADER_OPTIONS, protoRoot } from '../../src/protocol/rocketmq/proto.js';
import { startTestBroker, type TestBroker } from './broker.js';

export const quietLogger = {
  info: (...a: unknown[]) => (process.env.MQLAB_TEST_LOG ? console.error('[rmq info]', ...a) : undefined),
  warn: (...a: unknown[]) => (process.env.MQLAB_TEST_LOG ? console.error('[rmq warn]', ...a) : undefined),
  error: (...a: unknown[]) => (process.env.MQLAB_TEST_LOG ? console.error('[rmq error]', ...a) : undefined),
  debug: () => undefined,
};

/**
 * A broker with RocketMQ's endpoint for each test of a describe block, and
 * the clients the test opens: after each test the clients shut down, then
 * the broker goes.
 */
export function rocketmqBrokerPerTest(): {
  readonly broker: TestBroker;
  start(configs: Record<string, string>): Promise<TestBroker>;
  restart(): Promise<TestBroker>;
  /** Shuts the tracked clients down now (before a restart, say). */
  shutdownClients(): Promise<void>;
  track<T extends { shutdown(): Promise<unknown> }>(client: T): T;
} {
  let current: TestBroker | undefined;
  const clients: { shutdown(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
    await current?.destroy();
    current = undefined;
  });
  return {
    get broker(): TestBroker {
      if (!current) throw new Error('no broker started in this test');
      return current;
    },
    async start(configs) {
      current = await startTestBroker(configs, { rocketmq: true });
      return current;
    },
    async restart() {
      current = await this.broker.restart();
      return current;
    },
    async shutdownClients() {
      for (const c of clients.splice(0)) await c.shutdown();
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };
}

export async function startProducer(endpoints: string, topics: string[]): Promise<Producer> {
  const p = new Producer({ endpoints, namespace: '', logger: quietLogger, topics });
  await p.startup();
  return p;
}

export async function startSimpleConsumer(endpoints: string, group: string, subscriptions: Record<string, string>, awaitDuration = 2_000): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({ endpoints, namespace: '', logger: quietLogger, consumerGroup: group, subscriptions: new Map(Object.entries(subscriptions)), awaitDuration });
  await c.startup();
  return c;
}

/** Receives until `done(all so far)` or the time is up (each receive long-polls, so no sleeping between). */
export async function receiveUntil(c: SimpleConsumer, done: (all: MessageView[]) => boolean, invisibleMs = 15_000, timeoutMs = 20_000): Promise<MessageView[]> {
  const all: MessageView[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(all)) {
    if (Date.now() > deadline) throw new Error(`timed out after receiving ${all.length} messages`);
    all.push(...(await c.receive(16, invisibleMs)));
  }
  return all;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto objects */
export type RawClient = grpc.Client & Record<string, any>;

export function rawClient(endpoint: string): RawClient {
  const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const def = grpc.loadPackageDefinition(pkg) as any;
  return new def.apache.rocketmq.v2.MessagingService(endpoint, grpc.credentials.createInsecure()) as RawClient;
}

export function rawUnary(client: RawClient, method: string, request: Record<string, any>): Promise<any> {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + 10_000 }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res)));
  });
}

export function rawReceive(client: RawClient, request: Record<string, any>): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const out: any[] = [];
    const call = client.ReceiveMessage(request, { deadline: Date.now() + 20_000 });
    call.on('data', (d: any) => out.push(d));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

/** A Telemetry stream that sends `settings` and ends at the server's first answer (its Settings, or a status). */
export function rawSettings(client: RawClient, settings: Record<string, any>): Promise<any> {
  return new Promise((resolve, reject) => {
    const call = client.Telemetry();
    call.on('data', (d: any) => {
      resolve(d);
      call.end();
    });
    call.on('error', reject);
    call.write({ settings });
  });
}
