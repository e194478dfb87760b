// A kafkajs consumer of a new group, measured from its assignment (the
// GROUP_JOIN event, after SyncGroup). kafkajs's defaults throughout, its
// logging aside. kafkajs is a dev dependency: load this module with
// import() where it may be missing.
import { Kafka, logLevel } from 'kafkajs';
import { nowMs } from '../../client/load/producer-thread.js';
import { atMost, Deadline } from './deadline.js';
import { AfterAssignment, type AssignedRun, type ClientRequests, type NewGroupOptions } from './measure.js';

export async function kafkajsNewGroup(o: NewGroupOptions): Promise<AssignedRun> {
  const m = new AfterAssignment(o.windowMs);
  const consumer = new Kafka({ clientId: 'mqlab-latency', brokers: [o.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: o.groupId });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    m.assigned();
    assigned = true;
  });
  // Its own timing of each request: whether a slow record waited on the broker or inside kafkajs.
  const requests = new Map<string, { roundTrip: number[]; queued: number[] }>();
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    if (!assigned) return;
    let r = requests.get(payload.apiName);
    if (!r) requests.set(payload.apiName, (r = { roundTrip: [], queued: [] }));
    r.roundTrip.push(payload.duration);
    r.queued.push(payload.pendingDuration);
  });
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
  return { ...m.result(), requests: [...requests].map(([api, r]) => summarizeRequests(api, r.roundTrip, r.queued)) };
}

function summarizeRequests(api: string, roundTrip: number[], queued: number[]): ClientRequests {
  const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.99 * xs.length))] ?? 0;
  return { api, count: roundTrip.length, roundTripP99Ms: p99(roundTrip), roundTripMaxMs: Math.max(0, ...roundTrip), queuedP99Ms: p99(queued), queuedMaxMs: Math.max(0, ...queued) };
}
