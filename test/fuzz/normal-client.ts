// After an abuse run: an ordinary client (kafkajs, not mqlab's own) creates
// a topic, produces, and consumes it back in a group.
import { Kafka, logLevel } from 'kafkajs';

export async function produceAndConsume(bootstrap: string, topic: string, count = 20): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'after-fuzz', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `after-${i}` })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 6000, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen.sort();
}
