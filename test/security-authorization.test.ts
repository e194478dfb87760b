// Kafka's authorization, enforced by the broker: one table of ACLs and one
// of requests (principal × resource × operation), each request sent over
// the Kafka protocol by a client logged in as that principal and answered
// as the table says. Literal and prefixed patterns, User:* and deny-wins,
// implied DESCRIBE, super users, allow.everyone.if.no.acl.found, Metadata
// showing only what a principal may describe, ACLs kept across a restart,
// and `mqlab acls` in kafka-acls.sh's words.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { KafkaConnection } from '../src/client/connection.js';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { errorName } from '../src/protocol/kafka/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch } from './helpers/batches.js';
import { quietLogger, rawClient, rawReceive, startProducer } from './helpers/rocketmq.js';
import * as grpc from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { Producer } from 'rocketmq-client-nodejs';
import { hasOpenssl, makeTestCerts } from './helpers/certs.js';
import { missing } from './helpers/requires.js';
import { readRegions } from './helpers/regions.js';
import { httpTlsOptions } from '../src/server/listeners.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const USERS = ['alice', 'bob', 'carol'] as const;
type User = (typeof USERS)[number];
const TOPIC = 2;
const GROUP = 3;
const LITERAL = 3;
const PREFIXED = 4;
const ALLOW = 3;
const DENY = 2;
const OP = { ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DESCRIBE: 8 } as const;

/** The ACLs of the table: [principal, resource type, name, pattern, operation, permission]. */
const ACLS: [string, number, string, number, keyof typeof OP, number][] = [
  ['User:alice', TOPIC, 'orders', LITERAL, 'READ', ALLOW],
  ['User:alice', TOPIC, 'orders', LITERAL, 'WRITE', ALLOW],
  ['User:alice', TOPIC, 'logs-', PREFIXED, 'WRITE', ALLOW],
  ['User:alice', TOPIC, 'logs-secret', LITERAL, 'ALL', DENY],
  ['User:alice', GROUP, 'app-', PREFIXED, 'READ', ALLOW],
  ['User:bob', TOPIC, 'orders', LITERAL, 'DESCRIBE', ALLOW],
  ['User:*', TOPIC, 'public', LITERAL, 'READ', ALLOW],
];

const TOPICS = ['orders', 'logs-app', 'logs-secret', 'public', 'private'];

describe('authorization over the Kafka protocol', () => {
  let broker: TestBroker;
  const conns = new Map<User | 'admin', KafkaConnection>();

  const connect = async (user: User | 'admin'): Promise<KafkaConnection> => {
    if (user === 'admin') return KafkaConnection.open('127.0.0.1', broker.port, 'admin');
    const sasl = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!;
    return KafkaConnection.open('127.0.0.1', sasl.port, user, { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: user, password: `${user}-pw` } });
  };
  const as = (user: User | 'admin'): KafkaConnection => conns.get(user)!;

  const produce = async (user: User, topic: string): Promise<string> => {
    const r = await as(user).request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: numberedBatch(`${user}-${topic}`, 1) }] }] });
    return errorName(r.responses[0]!.partitionResponses[0]!.errorCode);
  };
  const fetch = async (user: User, topic: string): Promise<string> => {
    const r = await as(user).request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    return errorName(r.responses[0]!.partitions[0]!.errorCode);
  };
  const metadata = async (user: User, topics: string[] | null): Promise<Map<string, string>> => {
    const r = await as(user).request(3, 12, { topics: topics === null ? null : topics.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return new Map(r.topics.map((t) => [t.name ?? '', errorName(t.errorCode)]));
  };
  const join = async (user: User, group: string): Promise<string> => {
    const r = await as(user).request(11, 5, { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: `${user}-static`, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    return errorName(r.errorCode);
  };
  const createTopic = async (user: User | 'admin', topic: string): Promise<string> => {
    const r = await as(user).request(19, 5, { topics: [{ name: topic, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    return errorName(r.topics[0]!.errorCode);
  };

  beforeAll(async () => {
    broker = await startTestBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // The plain listener's anonymous clients administer the broker in this test.
      'super.users': 'User:ANONYMOUS',
      'auto.create.topics.enable': 'false',
    });
    for (const u of USERS) broker.credentials.setPassword(u, `${u}-pw`, 'SCRAM-SHA-256');
    const admin = await Admin.connect(broker.bootstrap);
    for (const t of TOPICS) await admin.createTopic(t, 1);
    await admin.createAcls(ACLS.map(([principal, resourceType, resourceName, patternType, op, permissionType]) => ({ principal, resourceType, resourceName, patternType, host: '*', operation: OP[op], permissionType })));
    admin.close();
    for (const u of [...USERS, 'admin'] as const) conns.set(u, await connect(u));
  });

  afterAll(async () => {
    for (const c of conns.values()) c.close();
    await broker?.destroy();
  });

  // [principal, what, topic or group, the answer]
  const TABLE: [User, 'produce' | 'fetch' | 'join', string, string][] = [
    ['alice', 'produce', 'orders', 'NONE'],
    ['alice', 'fetch', 'orders', 'NONE'],
    ['alice', 'produce', 'logs-app', 'NONE'], // prefixed allow
    ['alice', 'fetch', 'logs-app', 'TOPIC_AUTHORIZATION_FAILED'], // WRITE does not give READ
    ['alice', 'produce', 'logs-secret', 'TOPIC_AUTHORIZATION_FAILED'], // deny wins over the prefixed allow
    ['alice', 'produce', 'private', 'TOPIC_AUTHORIZATION_FAILED'], // no ACL: allow.everyone.if.no.acl.found=false
    ['alice', 'fetch', 'public', 'NONE'], // User:*
    ['bob', 'produce', 'orders', 'TOPIC_AUTHORIZATION_FAILED'], // DESCRIBE only
    ['bob', 'fetch', 'orders', 'TOPIC_AUTHORIZATION_FAILED'],
    ['bob', 'fetch', 'public', 'NONE'],
    ['carol', 'fetch', 'public', 'NONE'],
    ['carol', 'produce', 'public', 'TOPIC_AUTHORIZATION_FAILED'],
    ['alice', 'join', 'app-orders', 'NONE'], // prefixed group READ
    ['alice', 'join', 'other', 'GROUP_AUTHORIZATION_FAILED'],
    ['bob', 'join', 'app-orders', 'GROUP_AUTHORIZATION_FAILED'],
  ];

  it.each(TABLE)('%s %s %s: %s', async (user, what, name, expected) => {
    const answer = what === 'produce' ? await produce(user, name) : what === 'fetch' ? await fetch(user, name) : await join(user, name);
    expect(answer).toBe(expected);
  });

  it('shows each principal only the topics it may describe (READ, WRITE imply DESCRIBE)', async () => {
    expect([...(await metadata('alice', null)).keys()].sort()).toEqual(['logs-app', 'orders', 'public']);
    expect([...(await metadata('bob', null)).keys()].sort()).toEqual(['orders', 'public']);
    expect([...(await metadata('carol', null)).keys()].sort()).toEqual(['public']);
    expect(await metadata('carol', ['orders', 'public'])).toEqual(new Map([['orders', 'TOPIC_AUTHORIZATION_FAILED'], ['public', 'NONE']]));
  });

  it('lets a super user do everything and others nothing unasked: create topics, read configs, read ACLs', async () => {
    expect(await createTopic('alice', 'alice-new')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await createTopic('admin', 'admin-new')).toBe('NONE');
    const configs = await as('alice').request(32, 4, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: null }], includeSynoyms: false, includeDocumentation: false });
    expect(errorName(configs.results[0]!.errorCode)).toBe('CLUSTER_AUTHORIZATION_FAILED');
    const acls = await as('alice').request(29, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    expect(errorName(acls.errorCode)).toBe('CLUSTER_AUTHORIZATION_FAILED');
  });

  it('answers the authorized operations a principal has on a topic', async () => {
    const r = await as('alice').request(3, 12, { topics: [{ name: 'orders', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    // READ (3), WRITE (4) and the DESCRIBE (8) they imply.
    expect(r.topics[0]!.topicAuthorizedOperations).toBe((1 << 3) | (1 << 4) | (1 << 8));
  });

  it('keeps the ACLs across a restart', async () => {
    for (const c of conns.values()) c.close();
    broker = await broker.restart();
    for (const u of [...USERS, 'admin'] as const) conns.set(u, await connect(u));
    expect(await produce('alice', 'orders')).toBe('NONE');
    expect(await produce('bob', 'orders')).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('adds, lists and removes ACLs with mqlab acls, in kafka-acls.sh\'s words', async () => {
    const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, 'acls', '--bootstrap-server', broker.bootstrap, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const add = await run(['--add', '--allow-principal', 'User:carol', '--operation', 'Write', '--operation', 'Describe', '--topic', 'private']);
    expect(add.code, add.stderr).toBe(0);
    expect(await produce('carol', 'private')).toBe('NONE');
    const list = await run(['--list', '--topic', 'private']);
    expect(list.stdout).toContain('ResourcePattern(resourceType=TOPIC, name=private, patternType=LITERAL)');
    expect(list.stdout).toContain('(principal=User:carol, host=*, operation=WRITE, permissionType=ALLOW)');
    expect((await run(['--remove', '--allow-principal', 'User:carol', '--operation', 'Write', '--topic', 'private'])).code).toBe(1); // no --force
    const removed = await run(['--remove', '--allow-principal', 'User:carol', '--operation', 'Write', '--topic', 'private', '--force']);
    expect(removed.stdout).toContain('Removed 1 ACL.');
    expect(await produce('carol', 'private')).toBe('TOPIC_AUTHORIZATION_FAILED');
    const prefixed = await run(['--add', '--deny-principal', 'User:alice', '--operation', 'Read', '--topic', 'ord', '--resource-pattern-type', 'prefixed']);
    expect(prefixed.code, prefixed.stderr).toBe(0);
    expect(await fetch('alice', 'orders')).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('adds, lists and deletes users with mqlab users; the new user logs in', async () => {
    const users = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, 'users', '--bootstrap-server', broker.bootstrap, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const added = await users(['--add', '--user', 'dora', '--password', 'dora-pw', '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192']);
    expect(added.code, added.stderr).toBe(0);
    expect((await users(['--list'])).stdout).toMatch(/dora\s+SCRAM-SHA-512 \(8192 iterations\)/);
    const sasl = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!;
    const dora = await KafkaConnection.open('127.0.0.1', sasl.port, 'dora', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-512', username: 'dora', password: 'dora-pw' } });
    dora.close();
    expect((await users(['--delete', '--user', 'dora'])).stdout).toContain('Deleted SCRAM-SHA-512 credentials of user dora.');
    await expect(KafkaConnection.open('127.0.0.1', sasl.port, 'dora', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-512', username: 'dora', password: 'dora-pw' } })).rejects.toThrow(/login as dora failed/);
  });
});

describe('allow.everyone.if.no.acl.found', () => {
  it('lets anyone at a resource no ACL names, and only the ACLs decide where one does', async () => {
    const broker = await startTestBroker({ 'authorizer.class.name': 'mqlab', 'allow.everyone.if.no.acl.found': 'true', 'super.users': '' });
    try {
      const conn = await KafkaConnection.open('127.0.0.1', broker.port, 'anon');
      const admin = await Admin.connect(broker.bootstrap);
      await admin.createTopic('open', 1);
      await admin.createTopic('guarded', 1);
      await admin.createAcls([{ principal: 'User:someone-else', resourceType: TOPIC, resourceName: 'guarded', patternType: LITERAL, host: '*', operation: OP.READ, permissionType: ALLOW }]);
      const fetchFrom = async (topic: string): Promise<string> => {
        const r = await conn.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
        return errorName(r.responses[0]!.partitions[0]!.errorCode);
      };
      expect(await fetchFrom('open')).toBe('NONE');
      expect(await fetchFrom('guarded')).toBe('TOPIC_AUTHORIZATION_FAILED');
      admin.close();
      conn.close();
    } finally {
      await broker.destroy();
    }
  });

  it('refuses an authorizer class it does not have', async () => {
    await expect(startTestBroker({ 'authorizer.class.name': 'com.example.MyAuthorizer' })).rejects.toThrow(/authorizer.class.name/);
  });
});

describe('authorization over HTTP: the same users and ACLs', () => {
  let broker: TestBroker;
  let api: HttpApi;
  let base: string;
  const basic = (user: string, password: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

  beforeAll(async () => {
    broker = await startTestBroker({ 'authorizer.class.name': 'mqlab', 'super.users': 'User:root', 'auto.create.topics.enable': 'false' });
    for (const u of ['alice', 'bob', 'root']) broker.credentials.setPassword(u, `${u}-pw`, 'SCRAM-SHA-512');
    broker.broker.topics.create('orders', 1);
    broker.broker.topics.create('public', 1);
    api = await startHttpApi(broker.broker, { port: 0, adminToken: 'the-admin-token' });
    base = `http://127.0.0.1:${api.port}`;
    // ACLs straight into the broker's store: the HTTP side must read the very same.
    broker.broker.security.acls.create([
      { principal: 'User:alice', resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', host: '*', operation: 'WRITE', permission: 'ALLOW' },
      { principal: 'User:*', resourceType: 'TOPIC', resourceName: 'public', patternType: 'LITERAL', host: '*', operation: 'READ', permission: 'ALLOW' },
    ]);
  });

  afterAll(async () => {
    await api?.close();
    await broker?.destroy();
  });

  const produce = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${base}/topics/orders/partitions/0/records`, { method: 'POST', body: JSON.stringify({ records: [{ value: 'v' }] }), headers: { 'Content-Type': 'application/json', ...headers } });

  it('answers 401 with a Basic challenge without credentials or with wrong ones, 403 for a user the ACLs refuse', async () => {
    const anonymous = await produce({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="mqlab"/);
    expect((await produce(basic('alice', 'wrong'))).status).toBe(401);
    expect((await produce(basic('alice', 'alice-pw'))).status).toBe(200);
    expect((await produce(basic('alice', 'alice-pw'))).status).toBe(200); // remembered
    const bob = await produce(basic('bob', 'bob-pw'));
    expect(bob.status).toBe(403);
    expect(await bob.json()).toMatchObject({ error: 'FORBIDDEN', message: 'User:bob may not WRITE on topic orders' });
    expect((await produce(basic('root', 'root-pw'))).status).toBe(200); // a super user
  });

  it('lists only the topics a principal may describe, and serves reads the ACLs allow', async () => {
    const names = async (headers: Record<string, string>): Promise<string[]> => ((await (await fetch(`${base}/topics`, { headers })).json()) as { topics: { name: string }[] }).topics.map((t) => t.name).sort();
    expect(await names({})).toEqual(['public']);
    expect(await names(basic('alice', 'alice-pw'))).toEqual(['orders', 'public']);
    expect(await names(basic('root', 'root-pw'))).toContain('orders');
    expect((await fetch(`${base}/topics/public/partitions/0/records?offset=earliest&format=json`)).status).toBe(200);
    expect((await fetch(`${base}/topics/orders/partitions/0/records?offset=earliest&format=json`, { headers: basic('alice', 'alice-pw') })).status).toBe(403);
  });

  it('takes the admin token or a user the ACLs allow on the admin routes', async () => {
    const put = (headers: Record<string, string>): Promise<Response> => fetch(`${base}/admin/transfer-strategy?strategy=mmap`, { method: 'PUT', headers });
    expect((await put({ Authorization: 'Bearer the-admin-token' })).status).toBe(200);
    expect((await put({ Authorization: 'Bearer not-it' })).status).toBe(403);
    expect((await put(basic('alice', 'alice-pw'))).status).toBe(403);
    expect((await put(basic('root', 'root-pw'))).status).toBe(200);
    expect((await put({})).status).toBe(401);
  });

  it('counts the denials and the failed logins in /metrics, which a principal needs DESCRIBE on the cluster to read', async () => {
    // With an authorizer, /metrics takes DESCRIBE on the cluster: a super user here.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${base}/metrics`, { headers: basic('root', 'root-pw') })).text();
    const value = (line: RegExp): number => Number(line.exec(text)?.[1] ?? 0);
    expect(value(/^mqlab_authorization_denials_total\{resource_type="TOPIC"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^mqlab_authorization_denials_total\{resource_type="CLUSTER"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^mqlab_failed_logins_total\{listener="HTTP"\} (\d+)$/m)).toBeGreaterThan(0);
  });
});

describe('authorization of RocketMQ clients: the same authorizer, the anonymous principal', () => {
  it('sends and receives only where an ACL lets User:ANONYMOUS, and answers UNAUTHORIZED elsewhere', async () => {
    const broker = await startTestBroker({ 'authorizer.class.name': 'mqlab', 'super.users': 'User:root', 'auto.create.topics.enable': 'false' }, { rocketmq: true });
    const producer = await startProducer(broker.rocketmqEndpoint!, []);
    try {
      broker.broker.topics.create('open-rmq', 1);
      broker.broker.topics.create('closed-rmq', 1);
      broker.broker.security.acls.create([
        { principal: 'User:ANONYMOUS', resourceType: 'TOPIC', resourceName: 'open-rmq', patternType: 'LITERAL', host: '*', operation: 'ALL', permission: 'ALLOW' },
        { principal: 'User:ANONYMOUS', resourceType: 'GROUP', resourceName: 'rmq-', patternType: 'PREFIXED', host: '*', operation: 'READ', permission: 'ALLOW' },
      ]);
      const sent = await producer.send({ topic: 'open-rmq', body: Buffer.from('allowed'), tag: 'a' });
      expect(sent.messageId).toBeTruthy();
      await expect(producer.send({ topic: 'closed-rmq', body: Buffer.from('refused'), tag: 'a' })).rejects.toThrow(/40100|UNAUTHORIZED|may not WRITE on topic closed-rmq/);
      const client = rawClient(broker.rocketmqEndpoint!);
      const receive = (group: string) =>
        rawReceive(client, { group: { name: group }, messageQueue: { topic: { name: 'open-rmq' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '30' }, longPollingTimeout: { seconds: '1' } });
      const allowed = await receive('rmq-app');
      expect(allowed.some((a) => a.message?.body?.toString() === 'allowed')).toBe(true);
      const refused = await receive('other-group');
      expect(refused[0].status.code).toBe('UNAUTHORIZED');
      client.close();
    } finally {
      await producer.shutdown();
      await broker.destroy();
    }
  });
});

describe.skipIf(missing('openssl (apt install openssl)', hasOpenssl()))('the HTTP API over TLS', () => {
  it('serves produce and raw fetches over HTTPS (the body through the TLS stream), with Basic users', async () => {
    const certs = makeTestCerts();
    const tls = { 'ssl.keystore.location': certs.serverEncryptedStore, 'ssl.key.password': certs.serverKeyPassword };
    const broker = await startTestBroker({ 'authorizer.class.name': 'mqlab', 'super.users': 'User:root', ...tls });
    const api = await startHttpApi(broker.broker, { port: 0, tls: httpTlsOptions(tls) });
    try {
      broker.credentials.setPassword('root', 'root-pw', 'SCRAM-SHA-256');
      broker.broker.topics.create('secure', 1);
      const ca = readFileSync(certs.caPem);
      const call = (method: string, path: string, body?: string, user = 'root:root-pw'): Promise<{ status: number; body: Buffer }> =>
        new Promise((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: api.port, method, path, ca, headers: { Authorization: `Basic ${Buffer.from(user).toString('base64')}`, ...(body ? { 'Content-Type': 'application/json' } : {}) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          });
          req.on('error', reject);
          req.end(body);
        });
      const values = Array.from({ length: 50 }, (_, i) => `v${i}-${'x'.repeat(3000)}`);
      expect((await call('POST', '/topics/secure/partitions/0/records', JSON.stringify({ records: values.map((value) => ({ value })) }))).status).toBe(200);
      const raw = await call('GET', '/topics/secure/partitions/0/records?offset=earliest&maxBytes=1048576');
      expect(raw.status).toBe(200);
      expect(raw.body).toEqual(readRegions(broker.broker.engine.read({ topic: 'secure', partition: 0 }, 0n, 1 << 20).regions));
      expect((await call('GET', '/topics/secure', undefined, 'root:wrong')).status).toBe(401);
    } finally {
      await api.close();
      await broker.destroy();
      certs.cleanup();
    }
  });
});

describe('RocketMQ access keys: signed calls get their user\'s principal', () => {
  it('makes a key over HTTP, lets its user\'s signed sends through, refuses a wrong secret and a stale signature', async () => {
    const broker = await startTestBroker({ 'authorizer.class.name': 'mqlab', 'super.users': 'User:root' }, { rocketmq: true });
    const api = await startHttpApi(broker.broker, { port: 0, adminToken: 'tok' });
    const endpoints = broker.rocketmqEndpoint!;
    const producers: Producer[] = [];
    try {
      broker.broker.topics.create('signed-rmq', 1);
      broker.broker.security.acls.create([{ principal: 'User:alice', resourceType: 'TOPIC', resourceName: 'signed-rmq', patternType: 'LITERAL', host: '*', operation: 'WRITE', permission: 'ALLOW' }]);
      const made = await fetch(`http://127.0.0.1:${api.port}/admin/access-keys`, { method: 'POST', headers: { Authorization: 'Bearer tok', 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'alice' }) });
      expect(made.status).toBe(201);
      const { accessKey, secretKey } = (await made.json()) as { accessKey: string; secretKey: string };
      const listed = (await (await fetch(`http://127.0.0.1:${api.port}/admin/access-keys`, { headers: { Authorization: 'Bearer tok' } })).json()) as { accessKeys: unknown[] };
      expect(listed.accessKeys).toEqual([{ accessKey, user: 'alice' }]);
      expect(JSON.stringify(listed)).not.toContain(secretKey);

      const signed = new Producer({ endpoints, namespace: '', logger: quietLogger, topics: ['signed-rmq'], sessionCredentials: { accessKey, accessSecret: secretKey } });
      producers.push(signed);
      await signed.startup();
      expect((await signed.send({ topic: 'signed-rmq', body: Buffer.from('signed'), tag: 'a' })).messageId).toBeTruthy();

      const forged = new Producer({ endpoints, namespace: '', logger: quietLogger, topics: [], sessionCredentials: { accessKey, accessSecret: 'not-the-secret' } });
      producers.push(forged);
      await forged.startup();
      await expect(forged.send({ topic: 'signed-rmq', body: Buffer.from('forged'), tag: 'a' })).rejects.toThrow(/40100|UNAUTHORIZED|signature/);

      // A header signed an hour ago, replayed.
      const client = rawClient(endpoints);
      const old = new Date(Date.now() - 3600_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const metadata = new grpc.Metadata();
      metadata.set('x-mq-date-time', old);
      metadata.set('authorization', `MQv2-HMAC-SHA1 Credential=${accessKey}, SignedHeaders=x-mq-date-time, Signature=${createHmac('sha1', secretKey).update(old).digest('hex').toUpperCase()}`);
      const stale = await new Promise<any>((resolve, reject) => client.QueryRoute({ topic: { name: 'signed-rmq' } }, metadata, { deadline: Date.now() + 10_000 }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
      expect(stale.status).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/more than 15 minutes/) });
      client.close();

      // The same key and secret are alice's bearer token on HTTP.
      const bearer = (token: string) => fetch(`http://127.0.0.1:${api.port}/topics/signed-rmq/partitions/0/records`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ records: [{ value: 'via bearer' }] }) });
      expect((await bearer(`${accessKey}:${secretKey}`)).status).toBe(200);
      expect((await bearer(`${accessKey}:wrong`)).status).toBe(401);

      const deleted = await fetch(`http://127.0.0.1:${api.port}/admin/access-keys/${accessKey}`, { method: 'DELETE', headers: { Authorization: 'Bearer tok' } });
      expect(deleted.status).toBe(200);
      await expect(signed.send({ topic: 'signed-rmq', body: Buffer.from('key gone'), tag: 'a' })).rejects.toThrow(/40100|UNAUTHORIZED|signature/);
    } finally {
      for (const p of producers) await p.shutdown().catch(() => undefined);
      await api.close();
      await broker.destroy();
    }
  });
});
