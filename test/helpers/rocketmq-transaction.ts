// A transactional producer of the official client whose TransactionChecker
// answers as the test says and records every check-back it was asked.
import { Producer, type MessageView } from 'rocketmq-client-nodejs';
import { quietLogger } from './rocketmq.js';
import { Progress } from './until.js';

/** apache.rocketmq.v2.TransactionResolution (the client does not export the enum). */
export const UNSPECIFIED = 0;
export const COMMIT = 1;
export const ROLLBACK = 2;

/** A producer whose checker answers with `answer(view)` and records what it was asked; `checks` hears of each check. */
export async function txProducer(endpoints: string, topic: string, answer: (m: MessageView) => number): Promise<{ producer: Producer; checked: MessageView[]; checks: Progress }> {
  const checked: MessageView[] = [];
  const checks = new Progress();
  const check = async (m: MessageView): Promise<number> => {
    checked.push(m);
    checks.made();
    return answer(m);
  };
  const producer = new Producer({ endpoints, namespace: '', logger: quietLogger, topics: [topic], checker: { check } } as never);
  await producer.startup();
  return { producer, checked, checks };
}
