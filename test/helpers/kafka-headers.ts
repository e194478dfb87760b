// What a Kafka consumer (kafkajs) sees of a topic's first records: their
// headers as text, read from the topic's start by a group of its own. Waits
// on the consumer's callbacks, not on time, until `count` have come.
import { Kafka, logLevel } from 'kafkajs';
import { Progress } from './until.js';

export async function kafkaHeaders(bootstrap: string, topic: string, count = 1, ms = 30_000): Promise<Record<string, string>[]> {
  const kafka = new Kafka({ clientId: 'headers', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `headers-${topic}`, maxWaitTimeInMs: 100 });
  const headers: Record<string, string>[] = [];
  const consumed = new Progress();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        headers.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        consumed.made();
      },
    });
    await consumed.until(`${count} records of ${topic} through kafkajs`, () => headers.length >= count, ms);
  } finally {
    await consumer.disconnect();
  }
  return headers;
}
