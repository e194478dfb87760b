// A kafkajs consumer of a new group, measured from its assignment (the
// GROUP_JOIN event, after SyncGroup). kafkajs's defaults throughout, its
// logging aside. kafkajs is a dev dependency: load this module with
// import() where it may be missing.
import { Kafka, logLevel } from 'kafkajs';
import { nowMs } from '../../client/load/producer-thread.js';
import { atMost, Deadline } from './deadline.js';
import { AfterAssignment, type AssignedRun, type NewGroupOptions } from './measure.js';

export async function kafkajsNewGroup(o: NewGroupOptions): Promise<AssignedRun> {
  const m = new AfterAssignment(o.windowMs);
  const consumer = new Kafka({ clientId: 'mqlab-latency', brokers: [o.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: o.groupId });
  consumer.on(consumer.events.GROUP_JOIN, () => m.assigned());
  const d = new Deadline(o.boundMs, () => `kafkajs consumer of group ${o.groupId}: ${m.stage}`);
  try {
    await d.race(
      (async () => {
        await consumer.connect();
        await consumer.subscribe({ topic: o.topic, fromBeginning: o.fromBeginning });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            const now = nowMs();
            for (const msg of batch.messages) if (m.record(o.producer.sentMs(msg.value!.readDoubleBE(0)), now)) return;
          },
        });
        await Promise.race([m.over, o.producer.failed]);
      })(),
    );
  } finally {
    d.clear();
    // A LeaveGroup, the rest of the batch in hand first: bounded, a broker that is gone never answers.
    await atMost(10_000, consumer.disconnect());
  }
  return m.result();
}
