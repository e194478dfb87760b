// A transactional producer of the official client whose TransactionChecker
// answers as the test says and records every check-back it was asked.
import { Producer, type MessageView } from 'rocketmq-client-nodejs';
import { quietLogger } from './rocketmq.js';

/** apache.rocketmq.v2.TransactionResolution (the client does not export the enum). */
export const UNSPECIFIED = 0;
export const COMMIT = 1;
export const ROLLBACK = 2;

/** A producer whose checker answers with `answer(view)` and records what it was asked. */
export async function txProducer(endpoints: string, topic: string, answer: (m: MessageView) => number): Promise<{ producer: Producer; checked: MessageView[] }> {
  const checked: MessageView[] = [];
  const producer = new Producer({ endpoints, namespace: '', logger: quietLogger, topics: [topic], checker: { check: async (m: MessageView) => (checked.push(m), answer(m)) } } as never);
  await producer.startup();
  return { producer, checked };
}
