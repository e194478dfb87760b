// Committed offsets, kept in the internal topic __consumer_offsets (one
// partition) of the storage engine, so they are as durable as any message
// under the broker's flush policy. A commit appends one record per
// partition:
//   key   JSON ["<group>", "<topic>", <partition>]
//   value JSON {"offset": "<n>", "metadata": <string|null>, "commitMs": <n>,
//               "leaderEpoch": <n>}  (leaderEpoch only when the client gave one)
// A tombstone (the key with a null value: DeleteGroups, OffsetDelete, a
// deleted topic's offsets) removes the key. Startup replays the topic; the
// last record of a key wins, which is what compaction keeps: on the
// segmented engine the topic is compacted (cleanup.policy=compact, 100 MiB
// segments as Kafka's offsets.topic.segment.bytes), so it holds about one
// record per committed partition plus the active segment. The commit log
// cannot compact (one log for all topics): there it grows with every commit
// until log.retention.* removes whole files, and startup replays it all.
import { encodeBatch } from '../../records/index.js';
import { openStateTopic } from '../internal-topic.js';
import { replayTopic } from '../replay-topic.js';
import type { StorageEngine, TopicPartition } from '../../storage/types.js';
import type { TopicRegistry } from '../topics.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
const TP: TopicPartition = { topic: OFFSETS_TOPIC, partition: 0 };

export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
  commitMs: number;
  /** OffsetCommit v6+: the leader epoch of the committed record as the client knew it, -1 if not given. */
  leaderEpoch: number;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string | null;
  leaderEpoch?: number;
}

export class OffsetStore {
  // group -> "topic\0partition" -> committed
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();

  constructor(private readonly engine: StorageEngine, private readonly topics: TopicRegistry, private readonly now: () => number = Date.now) {}

  open(): void {
    openStateTopic(this.engine, this.topics, OFFSETS_TOPIC);
    replayTopic(this.engine, TP, (key, value) => this.apply(key, value));
  }

  private apply(key: Buffer, value: Buffer | null): void {
    const [group, topic, partition] = JSON.parse(key.toString()) as [string, string, number];
    let g = this.offsets.get(group);
    if (!g) this.offsets.set(group, (g = new Map()));
    if (value === null) {
      g.delete(`${topic}\0${partition}`);
      return;
    }
    const v = JSON.parse(value.toString()) as { offset: string; metadata: string | null; commitMs: number; leaderEpoch?: number };
    g.set(`${topic}\0${partition}`, { offset: BigInt(v.offset), metadata: v.metadata, commitMs: v.commitMs, leaderEpoch: v.leaderEpoch ?? -1 });
  }

  /** Appends the commit and resolves once the engine's flush policy says it is stored. */
  async commit(group: string, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const commitMs = this.now();
    const records = entries.map((e) => ({
      key: Buffer.from(JSON.stringify([group, e.topic, e.partition])),
      value: Buffer.from(JSON.stringify({ offset: String(e.offset), metadata: e.metadata, commitMs, ...(e.leaderEpoch !== undefined && e.leaderEpoch >= 0 ? { leaderEpoch: e.leaderEpoch } : {}) })),
      headers: [],
    }));
    await this.engine.append(TP, encodeBatch({ baseTimestamp: BigInt(commitMs), records }));
    // What replay would read back from these records, without parsing them again.
    let g = this.offsets.get(group);
    if (!g) this.offsets.set(group, (g = new Map()));
    for (const e of entries) {
      g.set(`${e.topic}\0${e.partition}`, { offset: e.offset, metadata: e.metadata, commitMs, leaderEpoch: e.leaderEpoch !== undefined && e.leaderEpoch >= 0 ? e.leaderEpoch : -1 });
    }
  }

  /**
   * A deleted topic's committed offsets, every group's, removed with
   * tombstones, so that a topic re-created under the name does not inherit
   * them, also after a restart (Kafka deletes the offsets of deleted
   * partitions).
   */
  async deleteTopic(topic: string): Promise<void> {
    const keys: [string, string, number][] = [];
    for (const [group, offsets] of this.offsets) {
      for (const k of offsets.keys()) {
        const [t, partition] = k.split('\0');
        if (t === topic) keys.push([group, topic, Number(partition)]);
      }
    }
    await this.tombstones(keys);
  }

  /**
   * Deletes committed offsets (all of the group's when `partitions` is
   * absent): a tombstone per key (a null value), which replay applies as a
   * deletion, so it holds across restarts. Keys with nothing committed are
   * skipped. Resolves once stored, as commits do.
   */
  async delete(group: string, partitions?: readonly { topic: string; partition: number }[]): Promise<void> {
    const g = this.offsets.get(group);
    if (!g) return;
    const keys = (partitions ?? this.groupOffsets(group)).filter((p) => g.has(`${p.topic}\0${p.partition}`));
    await this.tombstones(keys.map((p) => [group, p.topic, p.partition]));
  }

  private async tombstones(keys: readonly [string, string, number][]): Promise<void> {
    if (keys.length === 0) return;
    const records = keys.map((k) => ({ key: Buffer.from(JSON.stringify(k)), value: null, headers: [] }));
    await this.engine.append(TP, encodeBatch({ baseTimestamp: BigInt(this.now()), records }));
    for (const r of records) this.apply(r.key, null);
    for (const [group] of keys) if (this.offsets.get(group)?.size === 0) this.offsets.delete(group);
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(`${topic}\0${partition}`);
  }

  /** Every committed offset of a group. */
  groupOffsets(group: string): { topic: string; partition: number; committed: CommittedOffset }[] {
    return [...(this.offsets.get(group) ?? new Map<string, CommittedOffset>()).entries()].map(([k, committed]) => {
      const [topic, partition] = k.split('\0');
      return { topic: topic!, partition: Number(partition), committed };
    });
  }

  groups(): string[] {
    return [...this.offsets.keys()].filter((g) => this.offsets.get(g)!.size > 0);
  }
}
