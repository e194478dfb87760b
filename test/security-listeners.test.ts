// Several listeners on one broker — PLAINTEXT, SASL_PLAINTEXT, SSL with
// client certificates required, SASL_SSL — and what each lets in: SCRAM
// and PLAIN logins against users kept in the broker's credential store,
// certificates signed by the trusted authority, nothing before a login or
// after a failed one, nobody who takes too long to log in. Records go in
// and come back out over every listener (over TLS by the stream path, not
// the addon's). The certificates are made with openssl for the run.
import { Readable } from 'node:stream';
import { connect as netConnect } from 'node:net';
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { KafkaConnection } from '../src/client/connection.js';
import { consoleConsume, consoleProduce } from '../src/client/console.js';
import { saltedPassword, saslClient, type ClientSecurity } from '../src/client/security.js';
import { errorName } from '../src/protocol/kafka/index.js';
import { encodeBatch } from '../src/records/index.js';
import { certificatePrincipal } from '../src/server/listeners.js';
import { parseListeners } from '../src/server/settings.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { hasOpenssl, makeTestCerts, type TestCerts } from './helpers/certs.js';
import { missing } from './helpers/requires.js';

const PASSWORDS = { alice: 'alice-secret', bob: 'bob-secret' };

describe('listeners', () => {
  it('reads several listeners from Kafka\'s listeners setting (not one host name)', () => {
    expect(parseListeners('PLAINTEXT://127.0.0.1:45101,SASL_SSL://127.0.0.1:45102')).toEqual([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 45101 },
      { name: 'SASL_SSL', host: '127.0.0.1', port: 45102 },
    ]);
    expect(parseListeners('internal://:9093, EXTERNAL://[::1]:9094')).toEqual([
      { name: 'INTERNAL', host: '127.0.0.1', port: 9093 },
      { name: 'EXTERNAL', host: '::1', port: 9094 },
    ]);
    expect(parseListeners('127.0.0.1:9092')).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
    expect(() => parseListeners('PLAINTEXT://a:1,PLAINTEXT://b:2')).toThrow(/the name PLAINTEXT is used twice/);
    expect(() => parseListeners('A://h:1,B://h:1')).toThrow(/h:1 is used twice/);
    expect(() => parseListeners('PLAINTEXT://127.0.0.1')).toThrow(/is not NAME:\/\/host:port/);
  });

  it('refuses a listener without a security protocol, and TLS without a key store, before opening any data', async () => {
    await expect(startTestBroker({ listeners: 'INTERNAL://127.0.0.1:0' })).rejects.toThrow(/listener INTERNAL has no security protocol: add INTERNAL:PLAINTEXT .* to listener.security.protocol.map/);
    await expect(startTestBroker({ listeners: 'SSL://127.0.0.1:0' })).rejects.toThrow(/listener SSL uses TLS: set ssl.keystore.location/);
    await expect(startTestBroker({ listeners: 'PLAINTEXT://127.0.0.1:0', 'listener.name.ssl.ssl.client.auth': 'required' })).rejects.toThrow(/listener.name.ssl.\* names no listener/);
  });
});

describe.skipIf(missing('openssl (apt install openssl)', hasOpenssl()))('SASL and TLS listeners', () => {
  let certs: TestCerts;
  let broker: TestBroker;
  const address = (name: string): string => {
    const l = broker.listeners.find((x) => x.name === name)!;
    return `${l.host}:${l.port}`;
  };
  const ca = (): string => readFileSync(certs.caPem, 'utf8');
  const sasl = (protocol: 'SASL_PLAINTEXT' | 'SASL_SSL', mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: string, password: string): ClientSecurity => ({
    protocol,
    ca: protocol === 'SASL_SSL' ? ca() : undefined,
    sasl: { mechanism, username, password },
  });
  const configs = (): Record<string, string> => ({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'ssl.keystore.location': certs.serverEncryptedStore,
    'ssl.key.password': certs.serverKeyPassword,
    'ssl.truststore.location': certs.caPem,
    'listener.name.ssl.ssl.client.auth': 'required',
    'mqlab.authentication.timeout.ms': '1000',
  });

  beforeAll(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker(configs());
    const admin = await Admin.connect(address('PLAINTEXT'));
    const alice = saltedPassword('SCRAM-SHA-256', PASSWORDS.alice, 4096);
    const bob = saltedPassword('SCRAM-SHA-512', PASSWORDS.bob, 8192);
    await admin.alterUsers([], [
      { name: 'alice', mechanism: 1, iterations: 4096, ...alice },
      { name: 'bob', mechanism: 2, iterations: 8192, ...bob },
    ]);
    admin.close();
  });

  afterAll(async () => {
    await broker?.destroy();
    certs?.cleanup();
  });

  it('answers Metadata on each listener with that listener\'s own address', async () => {
    const cases: [string, ClientSecurity][] = [
      ['PLAINTEXT', { protocol: 'PLAINTEXT' }],
      ['SASL_PLAINTEXT', sasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', PASSWORDS.alice)],
      ['SSL', { protocol: 'SSL', ca: ca(), cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') }],
      ['SASL_SSL', sasl('SASL_SSL', 'SCRAM-SHA-512', 'bob', PASSWORDS.bob)],
    ];
    for (const [name, security] of cases) {
      const [host, port] = address(name).split(':');
      const conn = await KafkaConnection.open(host!, Number(port), 'metadata-check', security);
      const r = await conn.request(3, 4, { topics: [], allowAutoTopicCreation: false });
      conn.close();
      expect(r.brokers.map((b) => `${b.host}:${b.port}`), name).toEqual([address(name)]);
    }
  });

  it.each([
    ['SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice'],
    ['SASL_PLAINTEXT', 'PLAIN', 'bob'],
    ['SASL_SSL', 'SCRAM-SHA-512', 'bob'],
    ['SASL_SSL', 'PLAIN', 'alice'],
  ] as const)('%s with %s as %s: records produced and fetched back', async (protocol, mechanism, user) => {
    const security = sasl(protocol, mechanism, user, PASSWORDS[user]);
    const topic = `sec-${protocol}-${mechanism}`.toLowerCase();
    const admin = await Admin.connect(address(protocol), security);
    await admin.createTopic(topic, 2);
    admin.close();
    // Large enough values that a fetch carries several file regions over TLS.
    const lines = Array.from({ length: 200 }, (_, i) => `${i}:${'v'.repeat(2000)}${i}`);
    const n = await consoleProduce(Readable.from(lines.map((l) => `${l}\n`)), { bootstrap: address(protocol), security, topic, acks: -1, batchSize: 16 });
    expect(n).toBe(200);
    const got: string[] = [];
    await consoleConsume({ bootstrap: address(protocol), security, topic, fromBeginning: true, maxMessages: 200, timeoutMs: 20_000, printKey: false, keySeparator: ':', print: (l) => got.push(l) });
    expect(got.sort()).toEqual([...lines].sort());
  });

  it('survives a TLS client that resets in the middle of a large fetch, and serves the next one', async () => {
    const admin = await Admin.connect(address('PLAINTEXT'));
    await admin.createTopic('big-tls', 1);
    for (let i = 0; i < 40; i++) await admin.conn.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'big-tls', partitionData: [{ index: 0, records: encodeBatch({ baseTimestamp: 0n, records: Array.from({ length: 64 }, () => ({ key: null, value: Buffer.alloc(4000, 0x61) })) }) }] }] });
    admin.close();
    const [host, port] = address('SASL_SSL').split(':');
    const security = sasl('SASL_SSL', 'SCRAM-SHA-512', 'bob', PASSWORDS.bob);
    const quitter = await KafkaConnection.open(host!, Number(port), 'quitter', security);
    // Ask for everything, read nothing, and vanish while the broker is still sending.
    const pending = quitter.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 0, topics: [{ topic: 'big-tls', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 64 << 20 }] }] });
    pending.catch(() => undefined);
    // Destroyed with the response unread: the kernel answers the broker's bytes with a reset.
    quitter.close();
    const next = await KafkaConnection.open(host!, Number(port), 'next', security);
    const r = await next.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 0, topics: [{ topic: 'big-tls', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 64 << 20 }] }] });
    expect(r.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(8 << 20);
    next.close();
  });

  it('refuses a wrong password with SASL_AUTHENTICATION_FAILED and closes; an unknown user reads exactly the same', async () => {
    const wrong = await Admin.connect(address('SASL_PLAINTEXT'), sasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', 'not-it')).catch((e: Error) => e);
    const nobody = await Admin.connect(address('SASL_PLAINTEXT'), sasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'nobody', 'not-it')).catch((e: Error) => e);
    expect(wrong).toBeInstanceOf(Error);
    expect((wrong as Error).message).toMatch(/SASL SCRAM-SHA-256 login as alice failed: .*invalid credentials/i);
    expect((nobody as Error).message.replace('nobody', 'alice')).toBe((wrong as Error).message);
    expect((wrong as Error).message).not.toContain('not-it');
    // A mechanism the user has no credential for fails the same way.
    await expect(Admin.connect(address('SASL_SSL'), sasl('SASL_SSL', 'SCRAM-SHA-512', 'alice', PASSWORDS.alice))).rejects.toThrow(/login as alice failed/);
    const plain = await Admin.connect(address('SASL_SSL'), sasl('SASL_SSL', 'PLAIN', 'alice', 'not-it')).catch((e: Error) => e);
    expect((plain as Error).message).toMatch(/PLAIN login as alice failed/);
  });

  it('serves only ApiVersions, SaslHandshake and SaslAuthenticate before the login; anything else closes the connection', async () => {
    const [host, port] = address('SASL_PLAINTEXT').split(':');
    const conn = await KafkaConnection.open(host!, Number(port));
    const versions = await conn.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(versions.apiKeys.some((a) => a.apiKey === 36 && a.maxVersion === 2)).toBe(true);
    await expect(conn.request(3, 4, { topics: null, allowAutoTopicCreation: false })).rejects.toThrow(/connection closed by the broker/);
  });

  it('answers a mechanism it does not offer with UNSUPPORTED_SASL_MECHANISM and the list, then closes', async () => {
    const [host, port] = address('SASL_SSL').split(':');
    const conn = await KafkaConnection.open(host!, Number(port), 'x', { protocol: 'SSL', ca: ca() });
    const r = await conn.request(17, 1, { mechanism: 'GSSAPI' });
    expect(errorName(r.errorCode)).toBe('UNSUPPORTED_SASL_MECHANISM');
    expect(r.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    // Over TLS the close may reach the client as a reset.
    await expect(conn.request(18, 0, {})).rejects.toThrow(/connection closed by the broker|ECONNRESET/);
  });

  it('lets in a client certificate the trusted authority signed (ssl.client.auth=required), not a missing or a rogue one', async () => {
    const [host, port] = address('SSL').split(':');
    const good = await KafkaConnection.open(host!, Number(port), 'x', { protocol: 'SSL', ca: ca(), cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') });
    await good.request(3, 4, { topics: null, allowAutoTopicCreation: false });
    good.close();
    const attempt = async (security: ClientSecurity): Promise<unknown> => {
      // TLS 1.3 finishes the client's side before the server has checked its certificate: the refusal arrives as the close.
      const conn = await KafkaConnection.open(host!, Number(port), 'x', security);
      return conn.request(3, 4, { topics: null, allowAutoTopicCreation: false });
    };
    await expect(attempt({ protocol: 'SSL', ca: ca() })).rejects.toThrow();
    await expect(attempt({ protocol: 'SSL', ca: ca(), cert: readFileSync(certs.rogueCert, 'utf8'), key: readFileSync(certs.rogueKey, 'utf8') })).rejects.toThrow();
    // The principal such a certificate stands for, as Kafka writes it.
    expect(certificatePrincipal(new X509Certificate(readFileSync(certs.clientCert)).subject)).toBe('User:CN=alice,O=mqlab');
  });

  it('closes a connection that has not logged in within mqlab.authentication.timeout.ms, TCP and TLS alike', async () => {
    for (const name of ['SASL_PLAINTEXT', 'SSL']) {
      const [host, port] = address(name).split(':');
      const s = netConnect(Number(port), host!);
      await once(s, 'connect');
      const started = Date.now();
      await once(s, 'close');
      expect(Date.now() - started, name).toBeGreaterThanOrEqual(900);
    }
  });

  it('counts a connection still in its TLS handshake against max.connections', async () => {
    const b = await startTestBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverStore, 'max.connections': '2' });
    try {
      const port = b.listeners[0]!.port;
      // Two clients that open TCP and never start their handshake.
      const stalled = [netConnect(port, '127.0.0.1'), netConnect(port, '127.0.0.1')];
      await Promise.all(stalled.map((s) => once(s, 'connect')));
      // A third is closed as it arrives (the limit is held by the two); wait for its close, no sleep.
      const third = netConnect(port, '127.0.0.1');
      await once(third, 'connect');
      await once(third, 'close');
      for (const s of stalled) s.destroy();
      await Promise.all(stalled.map((s) => once(s, 'close')));
      // Once the broker has seen them go, a full handshake gets in (each refused try ends at once: no sleeping).
      let served = false;
      for (let attempt = 0; attempt < 100 && !served; attempt++) {
        try {
          const ok = await KafkaConnection.open('127.0.0.1', port, 'after', { protocol: 'SSL', ca: ca() });
          await ok.request(18, 0, {});
          ok.close();
          served = true;
        } catch {
          // refused: the broker has not yet closed its side of the stalled ones
        }
      }
      expect(served).toBe(true);
    } finally {
      await b.destroy();
    }
  });

  it('hides ssl.key.password from DescribeConfigs and lists listener-prefixed configs', async () => {
    const admin = await Admin.connect(address('PLAINTEXT'));
    const all = await admin.describeConfigs();
    admin.close();
    const byName = new Map(all.map((c) => [c.name, c]));
    expect(byName.get('ssl.key.password')?.value).toBeNull();
    expect(byName.get('ssl.keystore.location')?.value).toBe(certs.serverEncryptedStore);
    expect(byName.get('listener.name.ssl.ssl.client.auth')?.value).toBe('required');
    expect(JSON.stringify(all)).not.toContain(certs.serverKeyPassword);
  });

  it('keeps users across a restart; describes and deletes them', async () => {
    broker = await broker.restart();
    const admin = await Admin.connect(address('SASL_SSL'), sasl('SASL_SSL', 'SCRAM-SHA-512', 'bob', PASSWORDS.bob));
    expect(await admin.describeUsers(null)).toEqual([
      { user: 'alice', credentials: [{ mechanism: 1, iterations: 4096 }] },
      { user: 'bob', credentials: [{ mechanism: 2, iterations: 8192 }] },
    ]);
    await admin.alterUsers([{ name: 'alice', mechanism: 1 }], []);
    await expect(admin.alterUsers([{ name: 'alice', mechanism: 1 }], [])).rejects.toThrow(/RESOURCE_NOT_FOUND/);
    await expect(admin.alterUsers([], [{ name: 'carol', mechanism: 1, iterations: 100, ...saltedPassword('SCRAM-SHA-256', 'x', 100) }])).rejects.toThrow(/UNACCEPTABLE_CREDENTIAL/);
    admin.close();
    await expect(Admin.connect(address('SASL_PLAINTEXT'), sasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', PASSWORDS.alice))).rejects.toThrow(/login as alice failed/);
  });

  it('will not start on a key store it cannot open, naming the config and never the password', async () => {
    const err = await startTestBroker({ ...configs(), 'ssl.key.password': 'wrong key password' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/listener SSL: the key store .*server-enc-store.pem cannot be used/);
    expect((err as Error).message).not.toContain('wrong key password');
  });

  it('ends a SASL session after connections.max.reauth.ms unless the client logs in again on the connection (KIP-368)', async () => {
    let now = 1_000_000;
    const b = await startTestBroker({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'connections.max.reauth.ms': '60000' }, { securityClock: () => now });
    try {
      b.credentials.setPassword('alice', PASSWORDS.alice, 'SCRAM-SHA-256');
      const security = sasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', PASSWORDS.alice);
      const metadata = (c: KafkaConnection): Promise<unknown> => c.request(3, 4, { topics: null, allowAutoTopicCreation: false });
      const lapsed = await KafkaConnection.open('127.0.0.1', b.port, 'x', security);
      const renewed = await KafkaConnection.open('127.0.0.1', b.port, 'x', security);
      await metadata(lapsed);
      now += 50_000;
      const hs = await renewed.request(17, 1, { mechanism: 'SCRAM-SHA-256' });
      expect(hs.errorCode).toBe(0);
      const client = saslClient(security.sasl!);
      let out: Buffer | null = client.first();
      let lifetime = -1n;
      while (out) {
        const r = await renewed.request(36, 1, { authBytes: out });
        expect(r.errorCode).toBe(0);
        lifetime = r.sessionLifetimeMs;
        out = client.next(r.authBytes);
      }
      expect(lifetime).toBe(60_000n);
      now += 20_000; // 70 s after the first logins, 20 s after the second
      await metadata(renewed);
      await expect(metadata(lapsed)).rejects.toThrow(/connection closed by the broker/);
      renewed.close();
    } finally {
      await b.destroy();
    }
  });
});
