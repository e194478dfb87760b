// The Python clients a Debian user has (python3-kafka: kafka-python 2.0;
// python3-confluent-kafka: confluent-kafka on librdkafka) against a real
// broker on loopback, one engine each: create a topic, produce, consume in a
// group and commit, then a second consumer of the group resumes with exactly
// the messages produced after the commit. The scripts (fixtures/python/)
// print what they saw as JSON; this side checks it against the broker.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { missing } from './helpers/requires.js';
import { runToolOk } from './helpers/run-tool.js';
import { hasPythonModule, PYTHON, pythonFixture } from './helpers/python.js';

const COUNT = 300;
const PARTITIONS = 3;

interface Outcome {
  listed: boolean;
  acked: number;
  /** [partition, offset, value] per message. */
  first: [number, number, string][];
  committed: Record<string, number>;
  second: [number, number, string][];
}

async function run(script: string, bootstrap: string, topic: string): Promise<Outcome> {
  const file = pythonFixture(script);
  const { stdout } = await runToolOk(PYTHON, [file, bootstrap, topic, String(COUNT)], '', 90_000);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Outcome;
}

const CLIENTS = [
  { name: 'kafka-python', module: 'kafka', script: 'kafka_python_e2e.py', engine: 'segmented' },
  { name: 'confluent-kafka', module: 'confluent_kafka', script: 'confluent_kafka_e2e.py', engine: 'commitlog' },
] as const;

describe('Python clients', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.destroy();
    broker = undefined;
  });

  for (const c of CLIENTS) {
    it.skipIf(missing(`${c.name} (apt install python3-${c.module.replace('_', '-')})`, hasPythonModule(c.module)))(
      `${c.name}: admin, produce, a committing group consumer, and a resume (${c.engine})`,
      async () => {
        broker = await startTestBroker({ 'mqlab.storage.engine': c.engine });
        const o = await run(c.script, broker.bootstrap, 'py');
        expect(o.listed).toBe(true);
        expect(broker.broker.topics.get('py')?.partitions).toBe(PARTITIONS);
        expect(o.acked).toBe(COUNT);
        // Every message once, and every partition's offsets dense from 0.
        expect(new Set(o.first.map((m) => m[2])).size).toBe(COUNT);
        expect(o.first).toHaveLength(COUNT);
        const ends: number[] = [];
        for (let p = 0; p < PARTITIONS; p++) {
          const offsets = o.first.filter((m) => m[0] === p).map((m) => m[1]).sort((a, b) => a - b);
          expect(offsets).toEqual(offsets.map((_, i) => i));
          ends.push(offsets.length);
        }
        // The first commit is at the end of what was read.
        for (let p = 0; p < PARTITIONS; p++) expect(o.committed[String(p)]).toBe(ends[p]);
        // The second consumer starts there, and its commit is what the broker holds now: the end of every partition.
        expect(o.second.map((m) => m[2]).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${COUNT + i}`).sort());
        for (const [p, offset] of o.second.map((m) => [m[0], m[1]])) expect(offset).toBeGreaterThanOrEqual(ends[p!]!);
        const group = `${c.name === 'kafka-python' ? 'py' : 'ck'}-group`;
        for (let p = 0; p < PARTITIONS; p++) {
          expect(broker.broker.coordinator.committed(group, 'py', p).offset).toBe(broker.broker.engine.highWatermark({ topic: 'py', partition: p }));
        }
      },
      120_000,
    );
  }

  it.skipIf(missing('confluent-kafka (apt install python3-confluent-kafka)', hasPythonModule('confluent_kafka')))(
    'confluent-kafka transactions: consume-transform-produce with offsets in the transaction, every other one aborted (segmented)',
    async () => {
      broker = await startTestBroker({ 'mqlab.storage.engine': 'segmented' });
      const file = pythonFixture('confluent_kafka_txn.py');
      const rounds = 4;
      const { stdout } = await runToolOk(PYTHON, [file, broker.bootstrap, 'txn-in', 'txn-out', String(rounds)], '', 90_000);
      const o = JSON.parse(stdout.trim().split('\n').pop()!) as { committed: string[]; uncommitted: string[]; groupOffset: number; committedRounds: number[] };
      // Rounds 0 and 2 commit, 1 and 3 abort; an aborted round's input is taken again by the next.
      expect(o.committedRounds).toEqual([0, 2]);
      expect(o.committed).toEqual(['r0:in0', 'r0:in1', 'r0:in2', 'r2:in3', 'r2:in4', 'r2:in5']);
      expect(o.uncommitted).toEqual(['r0:in0', 'r0:in1', 'r0:in2', 'r1:in3', 'r1:in4', 'r1:in5', 'r2:in3', 'r2:in4', 'r2:in5', 'r3:in6', 'r3:in7', 'r3:in8']);
      // The group's offset moved only with the committed rounds.
      expect(o.groupOffset).toBe(6);
      expect(broker.broker.transactions.coordinator.describe('transformer')?.state).toBe('CompleteAbort');
    },
    120_000,
  );
});
