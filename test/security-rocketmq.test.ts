// The RocketMQ endpoint over TLS (mqlab serve --rocketmq-tls): the official
// client with sslEnabled sends and receives through it; a plaintext client
// gets nowhere. The client runs in a process of its own, trusting the run's
// throwaway authority through grpc-js's GRPC_DEFAULT_SSL_ROOTS_FILE_PATH,
// which grpc-js reads as it loads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { hasOpenssl, makeTestCerts, type TestCerts } from './helpers/certs.js';
import { missing } from './helpers/requires.js';
import { rawClient, rawUnary } from './helpers/rocketmq.js';
import { runTool, runToolOk } from './helpers/run-tool.js';

const CLIENT = fileURLToPath(new URL('./fixtures/rocketmq-tls-client.mjs', import.meta.url));

describe.skipIf(missing('openssl (apt install openssl)', hasOpenssl()))('the RocketMQ endpoint over TLS', () => {
  let certs: TestCerts;
  let broker: TestBroker;

  beforeAll(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker({ 'ssl.keystore.location': certs.serverEncryptedStore, 'ssl.key.password': certs.serverKeyPassword }, { rocketmq: true, rocketmqTls: true });
    broker.broker.topics.create('tls-rmq', 1);
  });

  afterAll(async () => {
    await broker?.destroy();
    certs?.cleanup();
  });

  it('carries the official client\'s sends and receives', async () => {
    const r = await runToolOk(process.execPath, [CLIENT, broker.rocketmqEndpoint!, 'tls-rmq', '5'], '', 60_000, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: certs.caPem });
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual(Array.from({ length: 5 }, (_, i) => `over tls ${i}`));
  });

  it('carries calls signed with an access key over TLS: its user\'s ACLs decide', async () => {
    const b = await startTestBroker({ 'ssl.keystore.location': certs.serverStore, 'authorizer.class.name': 'mqlab', 'super.users': '' }, { rocketmq: true, rocketmqTls: true });
    try {
      b.broker.topics.create('tls-signed', 1);
      b.broker.security.acls.create([
        { principal: 'User:alice', resourceType: 'TOPIC', resourceName: 'tls-signed', patternType: 'LITERAL', host: '*', operation: 'ALL', permission: 'ALLOW' },
        { principal: 'User:alice', resourceType: 'GROUP', resourceName: 'tls-group', patternType: 'LITERAL', host: '*', operation: 'READ', permission: 'ALLOW' },
      ]);
      const alice = b.broker.security.accessKeys.create('alice');
      const ok = await runToolOk(process.execPath, [CLIENT, b.rocketmqEndpoint!, 'tls-signed', '3', alice.accessKey, alice.secretKey], '', 60_000, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: certs.caPem });
      expect(JSON.parse(ok.stdout.trim().split('\n').pop()!)).toEqual(['over tls 0', 'over tls 1', 'over tls 2']);
      const bob = b.broker.security.accessKeys.create('bob');
      const refused = await runTool(process.execPath, [CLIENT, b.rocketmqEndpoint!, 'tls-signed', '1', bob.accessKey, bob.secretKey], '', 60_000, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: certs.caPem });
      expect(refused.code).not.toBe(0);
    } finally {
      await b.destroy();
    }
  });

  it('gives a plaintext client no answer', async () => {
    const client = rawClient(broker.rocketmqEndpoint!);
    await expect(rawUnary(client, 'QueryRoute', { topic: { name: 'tls-rmq' } })).rejects.toThrow();
    client.close();
  });
});
