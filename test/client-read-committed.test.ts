// mqlab's own console consumer (`mqlab consume`) reads read_committed, as
// librdkafka and kafkajs consumers do: markers are never printed, an
// aborted transaction's records are skipped, and a transaction still open
// holds everything behind it back.
import { afterEach, expect, it } from 'vitest';
import { consoleConsume } from '../src/client/console.js';
import { encodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.destroy();
  broker = undefined;
});

it('prints committed records only, stopping at an open transaction', async () => {
  broker = await startTestBroker({});
  const b = broker.broker;
  b.createTopic('ledger', 1);
  const txns = b.transactions.coordinator;
  const send = async (id: string, values: string[], seq: number) => {
    const t = txns.describe(id)!;
    expect(await txns.addPartitions(id, t.producerId, t.producerEpoch, [{ topic: 'ledger', partition: 0 }])).toEqual(['NONE']);
    const batch = encodeBatch({ baseTimestamp: 1n, producerId: t.producerId, producerEpoch: t.producerEpoch, baseSequence: seq, transactional: true, records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
    expect((await b.produce('ledger', 0, batch, -1, id)).error).toBe('NONE');
    return t;
  };
  await txns.initProducerId('w', 60_000, -1n, -1);
  let t = await send('w', ['kept-1', 'kept-2'], 0);
  await txns.endTxn('w', t.producerId, t.producerEpoch, true);
  t = await send('w', ['dropped'], 2);
  await txns.endTxn('w', t.producerId, t.producerEpoch, false);
  t = await send('w', ['kept-3'], 3);
  await txns.endTxn('w', t.producerId, t.producerEpoch, true);
  await send('w', ['open'], 4);
  await b.produce('ledger', 0, encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('behind-open') }] }));
  const printed: string[] = [];
  const n = await consoleConsume({ bootstrap: broker.bootstrap, topic: 'ledger', fromBeginning: true, timeoutMs: 300, printKey: false, keySeparator: ':', print: (l) => printed.push(l) });
  expect([n, printed]).toEqual([3, ['kept-1', 'kept-2', 'kept-3']]);
});
