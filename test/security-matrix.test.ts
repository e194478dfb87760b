// One table of ACLs and one of requests, each request made three ways by
// the same principal: over the Kafka protocol (a SCRAM login), over HTTP
// (Basic credentials) and over RocketMQ's gRPC API (calls signed with the
// user's access key). The broker's one authorizer must answer all three
// alike: allowed everywhere, or refused everywhere with each protocol's own
// error (TOPIC_AUTHORIZATION_FAILED, 403, FORBIDDEN).
import * as grpc from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { errorName } from '../src/protocol/kafka/index.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { rawClient, type RawClient } from './helpers/rocketmq.js';

const USERS = ['alice', 'bob', 'carol'] as const;
type User = (typeof USERS)[number];
type Verb = 'write' | 'read';

/** [principal, resource type, name, pattern, operation, permission] */
const ACLS = [
  ['User:alice', 'TOPIC', 'orders', 'LITERAL', 'READ', 'ALLOW'],
  ['User:alice', 'TOPIC', 'orders', 'LITERAL', 'WRITE', 'ALLOW'],
  ['User:alice', 'TOPIC', 'logs-', 'PREFIXED', 'WRITE', 'ALLOW'],
  ['User:alice', 'TOPIC', 'logs-secret', 'LITERAL', 'ALL', 'DENY'],
  ['User:bob', 'TOPIC', 'orders', 'LITERAL', 'DESCRIBE', 'ALLOW'],
  ['User:*', 'TOPIC', 'public', 'LITERAL', 'READ', 'ALLOW'],
  // Reading in a consumer group (RocketMQ always does) needs READ on the group too.
  ['User:*', 'GROUP', 'app-', 'PREFIXED', 'READ', 'ALLOW'],
] as const;

/** [principal, verb, topic, allowed] */
const REQUESTS: [User, Verb, string, boolean][] = [
  ['alice', 'write', 'orders', true],
  ['alice', 'read', 'orders', true],
  ['alice', 'write', 'logs-app', true],
  ['alice', 'read', 'logs-app', false],
  ['alice', 'write', 'logs-secret', false],
  ['alice', 'write', 'private', false],
  ['bob', 'write', 'orders', false],
  ['bob', 'read', 'orders', false],
  ['bob', 'read', 'public', true],
  ['carol', 'read', 'public', true],
  ['carol', 'write', 'public', false],
];

const TOPICS = ['orders', 'logs-app', 'logs-secret', 'public', 'private'];

describe('one authorizer, three protocols, one table', () => {
  let broker: TestBroker;
  let api: HttpApi;
  let rmq: RawClient;
  const kafka = new Map<User, KafkaConnection>();
  const keys = new Map<User, { accessKey: string; secretKey: string }>();
  let seq = 0;

  beforeAll(async () => {
    broker = await startTestBroker(
      { listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'authorizer.class.name': 'mqlab', 'super.users': 'User:ANONYMOUS', 'auto.create.topics.enable': 'false' },
      { rocketmq: true },
    );
    for (const t of TOPICS) broker.broker.topics.create(t, 1);
    broker.broker.security.acls.create(ACLS.map(([principal, resourceType, resourceName, patternType, operation, permission]) => ({ principal, resourceType, resourceName, patternType, host: '*', operation, permission })));
    const sasl = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!;
    for (const u of USERS) {
      broker.credentials.setPassword(u, `${u}-pw`, 'SCRAM-SHA-256');
      keys.set(u, broker.broker.security.accessKeys.create(u));
      kafka.set(u, await KafkaConnection.open('127.0.0.1', sasl.port, u, { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: u, password: `${u}-pw` } }));
    }
    api = await startHttpApi(broker.broker, { port: 0 });
    rmq = rawClient(broker.rocketmqEndpoint!);
  });

  afterAll(async () => {
    rmq?.close();
    for (const c of kafka.values()) c.close();
    await api?.close();
    await broker?.destroy();
  });

  const viaKafka = async (user: User, verb: Verb, topic: string): Promise<string> => {
    const c = kafka.get(user)!;
    if (verb === 'write') {
      const r = await c.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: numberedBatch(`${user}-${topic}`, 1) }] }] });
      return errorName(r.responses[0]!.partitionResponses[0]!.errorCode);
    }
    const r = await c.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    return errorName(r.responses[0]!.partitions[0]!.errorCode);
  };

  const viaHttp = async (user: User, verb: Verb, topic: string): Promise<number> => {
    const headers = { Authorization: `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`, 'Content-Type': 'application/json' };
    const base = `http://127.0.0.1:${api.port}/topics/${topic}/partitions/0/records`;
    const r = verb === 'write' ? await fetch(base, { method: 'POST', headers, body: JSON.stringify({ records: [{ value: 'v' }] }) }) : await fetch(`${base}?offset=earliest&format=json`, { headers });
    await r.arrayBuffer();
    return r.status;
  };

  /** Metadata signed with the user's access key, as RocketMQ's clients sign. */
  const signed = (user: User): grpc.Metadata => {
    const { accessKey, secretKey } = keys.get(user)!;
    const dateTime = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const m = new grpc.Metadata();
    m.set('x-mq-date-time', dateTime);
    m.set('authorization', `MQv2-HMAC-SHA1 Credential=${accessKey}, SignedHeaders=x-mq-date-time, Signature=${createHmac('sha1', secretKey).update(dateTime).digest('hex').toUpperCase()}`);
    return m;
  };

  const viaRocketmq = async (user: User, verb: Verb, topic: string): Promise<string> => {
    const options = { deadline: Date.now() + 10_000 };
    if (verb === 'write') {
      const messages = [{ topic: { name: topic }, systemProperties: { messageId: `01${String(++seq).padStart(32, '0')}`, messageType: 'NORMAL' }, body: Buffer.from('v') }];
      const r = await new Promise<any>((resolve, reject) => rmq.SendMessage({ messages }, signed(user), options, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
      return r.status.code;
    }
    const request = { group: { name: `app-${user}` }, messageQueue: { topic: { name: topic }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '30' }, longPollingTimeout: { seconds: '0', nanos: 200_000_000 } };
    const answers = await new Promise<any[]>((resolve, reject) => {
      const out: any[] = [];
      const call = rmq.ReceiveMessage(request, signed(user), options);
      call.on('data', (d: any) => out.push(d));
      call.on('end', () => resolve(out));
      call.on('error', reject);
    });
    return answers.find((a) => a.status)?.status.code ?? 'OK';
  };

  /** A read by pull consumption: PullMessage, then UpdateOffset (READ on the topic and the group, as a receive). */
  const viaRocketmqPull = async (user: User, topic: string): Promise<string[]> => {
    const options = { deadline: Date.now() + 10_000 };
    const mq = { topic: { name: topic }, id: 0 };
    const answers = await new Promise<any[]>((resolve, reject) => {
      const out: any[] = [];
      const call = rmq.PullMessage({ group: { name: `app-${user}` }, messageQueue: mq, batchSize: 1, longPollingTimeout: { seconds: '0' } }, signed(user), options);
      call.on('data', (d: any) => out.push(d));
      call.on('end', () => resolve(out));
      call.on('error', reject);
    });
    const update = await new Promise<any>((resolve, reject) => rmq.UpdateOffset({ group: { name: `app-${user}` }, messageQueue: mq, offset: '0' }, signed(user), options, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
    return [answers.find((a) => a.status)?.status.code ?? 'OK', update.status.code];
  };

  it("answers GetOffset to whoever may DESCRIBE the topic and the group (as Kafka's OffsetFetch), FORBIDDEN to others", async () => {
    const get = async (user: User, topic: string): Promise<string> => {
      const r = await new Promise<any>((resolve, reject) => rmq.GetOffset({ group: { name: `app-${user}` }, messageQueue: { topic: { name: topic }, id: 0 } }, signed(user), { deadline: Date.now() + 10_000 }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
      return r.status.code;
    };
    // bob may only DESCRIBE orders: enough to read a group's offset, not to pull.
    expect(await get('bob', 'orders')).toBe('OFFSET_NOT_FOUND');
    expect(await get('carol', 'private')).toBe('FORBIDDEN');
  });

  it.each(REQUESTS)('%s may %s %s: %s, over Kafka, HTTP and RocketMQ alike', async (user, verb, topic, allowed) => {
    const answers = { kafka: await viaKafka(user, verb, topic), http: await viaHttp(user, verb, topic), rocketmq: await viaRocketmq(user, verb, topic) };
    const pulled = verb === 'read' ? await viaRocketmqPull(user, topic) : null;
    if (allowed) {
      expect(answers.kafka).toBe('NONE');
      expect(answers.http).toBe(200);
      // A receive that finds nothing yet answers MESSAGE_NOT_FOUND: allowed all the same.
      expect(['OK', 'MESSAGE_NOT_FOUND']).toContain(answers.rocketmq);
      if (pulled) {
        expect(['OK', 'MESSAGE_NOT_FOUND']).toContain(pulled[0]);
        expect(pulled[1]).toBe('OK');
      }
    } else {
      expect(answers).toEqual({ kafka: 'TOPIC_AUTHORIZATION_FAILED', http: 403, rocketmq: 'FORBIDDEN' });
      if (pulled) expect(pulled).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    }
  });
});
