// Clients nobody here wrote, logging in as their users configure them:
// kcat (Debian's librdkafka 2.0.2, whose SCRAM final nonce repeats the
// client's part: Kafka accepts it, so must we), kafkajs, and kafka-python
// 2.0 (SaslHandshake v0 and bare tokens) — over SASL_SSL and SASL_PLAINTEXT
// with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512: each produces, reads back
// what it produced, and is refused with a wrong password.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { hasOpenssl, makeTestCerts, type TestCerts } from './helpers/certs.js';
import { missing } from './helpers/requires.js';
import { runTool, runToolOk } from './helpers/run-tool.js';
import { hasPythonModule, PYTHON, pythonFixture } from './helpers/python.js';

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
const hasKafkaPython = hasPythonModule('kafka');
const USERS = { 'SCRAM-SHA-256': ['sam', 'sam-secret'], 'SCRAM-SHA-512': ['sue', 'sue-secret'] } as const;

describe.skipIf(missing('openssl (apt install openssl)', hasOpenssl()))('SASL logins from other clients', () => {
  let certs: TestCerts;
  let broker: TestBroker;
  const address = (name: string): string => {
    const l = broker.listeners.find((x) => x.name === name)!;
    return `${l.host}:${l.port}`;
  };

  beforeAll(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker({
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.location': certs.serverStore,
    });
    broker.credentials.setPassword(USERS['SCRAM-SHA-256'][0], USERS['SCRAM-SHA-256'][1], 'SCRAM-SHA-256');
    broker.credentials.setPassword(USERS['SCRAM-SHA-512'][0], USERS['SCRAM-SHA-512'][1], 'SCRAM-SHA-512');
  });

  afterAll(async () => {
    await broker?.destroy();
    certs?.cleanup();
  });

  const userFor = (mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'): readonly [string, string] => USERS[mechanism === 'PLAIN' ? 'SCRAM-SHA-512' : mechanism];

  describe.skipIf(missing('kcat (apt install kcat)', hasKcat))('kcat', () => {
    const kcatArgs = (mechanism: string, user: string, password: string): string[] => [
      '-b', address('SASL_SSL'),
      '-X', 'security.protocol=SASL_SSL',
      '-X', `sasl.mechanisms=${mechanism}`,
      '-X', `sasl.username=${user}`,
      '-X', `sasl.password=${password}`,
      '-X', `ssl.ca.location=${certs.caPem}`,
    ];

    it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const)('SASL_SSL with %s: produces and consumes', async (mechanism) => {
      const [user, password] = userFor(mechanism);
      const topic = `kcat-${mechanism}`.toLowerCase();
      const lines = Array.from({ length: 50 }, (_, i) => `kcat ${mechanism} ${i}`);
      await runToolOk('kcat', [...kcatArgs(mechanism, user, password), '-P', '-t', topic], lines.join('\n') + '\n');
      const r = await runToolOk('kcat', [...kcatArgs(mechanism, user, password), '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
      expect(r.stdout.trim().split('\n').sort()).toEqual([...lines].sort());
    });

    it('is refused with a wrong password', async () => {
      const r = await runTool('kcat', [...kcatArgs('SCRAM-SHA-256', 'sam', 'wrong'), '-L', '-m', '5']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Authentication failed|SASL authentication error/i);
    });
  });

  describe('kafkajs', () => {
    const client = (protocol: 'SASL_PLAINTEXT' | 'SASL_SSL', sasl: SASLOptions): Kafka =>
      new Kafka({ clientId: 'kafkajs-sasl', brokers: [address(protocol)], ssl: protocol === 'SASL_SSL' ? { ca: [readFileSync(certs.caPem, 'utf8')] } : false, sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } });

    it.each([
      ['SASL_SSL', 'scram-sha-256'],
      ['SASL_SSL', 'plain'],
      ['SASL_PLAINTEXT', 'scram-sha-512'],
    ] as const)('%s with %s: produces and consumes', async (protocol, mech) => {
      const mechanism = mech.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
      const [username, password] = userFor(mechanism);
      const kafka = client(protocol, { mechanism: mech, username, password } as SASLOptions);
      const topic = `kafkajs-${protocol}-${mech}`.toLowerCase();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: `m${i}` })) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `g-${topic}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              got.push(message.value!.toString());
              if (got.length === 40) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      expect(got.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
    });

    it('is refused with a wrong password', async () => {
      const producer = client('SASL_SSL', { mechanism: 'scram-sha-512', username: 'sue', password: 'wrong' }).producer();
      await expect(producer.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|Authentication failed/i);
    });
  });

  describe.skipIf(missing('kafka-python (apt install python3-kafka)', hasKafkaPython))('kafka-python (SaslHandshake v0, bare tokens)', () => {
    const script = pythonFixture('kafka_python_sasl.py');

    it.each([
      ['SASL_PLAINTEXT', 'PLAIN'],
      ['SASL_PLAINTEXT', 'SCRAM-SHA-256'],
      ['SASL_SSL', 'SCRAM-SHA-512'],
    ] as const)('%s with %s: produces and consumes', async (protocol, mechanism) => {
      const [user, password] = userFor(mechanism);
      const topic = `py-${protocol}-${mechanism}`.toLowerCase();
      const extra = protocol === 'SASL_SSL' ? [certs.caPem] : [];
      const r = await runToolOk(PYTHON, [script, address(protocol), protocol, mechanism, user, password, topic, '30', ...extra], '', 90_000);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    });

    it('is refused with a wrong password', async () => {
      const r = await runTool(PYTHON, [script, address('SASL_PLAINTEXT'), 'SASL_PLAINTEXT', 'PLAIN', 'sue', 'wrong', 'py-refused', '1'], '', 90_000);
      expect(r.code).not.toBe(0);
    });
  });
});
