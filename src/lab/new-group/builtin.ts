// mqlab's own consumer of a new group, measured from its assignment (its
// SyncGroup answered): GroupMember joins, then the load consumer fetches
// from the offsets a Kafka consumer would start at, with Kafka consumer
// defaults (fetch.max.wait.ms 500, fetch.min.bytes 1, fetch.max.bytes
// 50 MiB, max.partition.fetch.bytes 1 MiB).
import { performance } from 'node:perf_hooks';
import { Admin } from '../../client/admin.js';
import { GroupMember } from '../../client/group-member.js';
import { consumeLoad } from '../../client/load/consumer.js';
import { atMost, Deadline } from './deadline.js';
import { AfterAssignment, type AssignedRun, type NewGroupOptions } from './measure.js';

const MiB = 1024 * 1024;

export async function builtinNewGroup(o: NewGroupOptions): Promise<AssignedRun> {
  const m = new AfterAssignment(o.windowMs);
  const d = new Deadline(o.boundMs, () => `mqlab consumer of group ${o.groupId}: ${m.stage}`);
  const stop = new AbortController();
  let admin: Admin | null = null;
  let member: GroupMember | null = null;
  try {
    await d.race(
      (async () => {
        admin = await Admin.connect(o.bootstrap);
        const a = admin;
        member = await GroupMember.open(a.host, a.port, o.groupId, [o.topic], (t) => a.partitions(t, true));
        const assigned = (await member.join()).get(o.topic) ?? [];
        m.assigned();
        const from = await startOffsets(a, member, o.topic, assigned, o.fromBeginning);
        const reading = consumeLoad({
          host: a.host,
          port: a.port,
          topic: o.topic,
          from,
          expectRecords: Number.POSITIVE_INFINITY,
          maxMs: o.boundMs,
          maxBytes: 50 * MiB,
          partitionMaxBytes: MiB,
          maxWaitMs: 500,
          stop: stop.signal,
          onRecord: (rec, receivedMicros) => {
            if (m.record(o.producer.sentMs(rec.sentMicros), performance.timeOrigin + receivedMicros / 1000)) stop.abort();
          },
        });
        const c = await Promise.race([reading, o.producer.failed]);
        if (c.failedFetches > 0) throw new Error(`mqlab consumer of group ${o.groupId}: ${c.failedFetches} failed fetches, first: ${c.firstError}`);
        if (!stop.signal.aborted) throw new Error(`mqlab consumer of group ${o.groupId}: ${m.stage}`);
      })(),
    );
  } finally {
    d.clear();
    stop.abort();
    const left = member as GroupMember | null;
    if (left) await atMost(10_000, left.leave());
    (admin as Admin | null)?.close();
  }
  return m.result();
}

/** Committed offsets, and where none (a new group), the earliest or latest: auto.offset.reset. */
async function startOffsets(admin: Admin, member: GroupMember, topic: string, partitions: number[], fromBeginning: boolean): Promise<Map<number, bigint>> {
  const committed = await member.committed(new Map([[topic, partitions]]));
  const reset = partitions.filter((p) => (committed.get(`${topic}:${p}`) ?? -1n) < 0n);
  const start = await admin.offsets(topic, reset, fromBeginning ? -2n : -1n);
  return new Map(partitions.map((p) => [p, start.get(p) ?? committed.get(`${topic}:${p}`)!]));
}
