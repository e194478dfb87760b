// Where a topic's partitions lead, and a connection to each of those
// nodes: what the console producer and consumer send each partition's
// requests over. A broker of one node leads them all; `mqlab serve
// --workers N` is N nodes, each leading some (Metadata says which).
import { Admin } from './admin.js';
import type { ClientSecurity } from './security.js';

export class PartitionLeaders {
  private constructor(
    private readonly bootstrap: Admin,
    private readonly byPartition: Map<number, Admin>,
    private readonly opened: Admin[],
    /** Each partition's leader's node id. */
    readonly nodeIds: ReadonlyMap<number, number>,
  ) {}

  /** The leaders now; the bootstrap connection serves the partitions its node leads. */
  static async open(bootstrap: Admin, topic: string, security?: ClientSecurity): Promise<PartitionLeaders> {
    const leaders = await bootstrap.leaders(topic);
    const byNode = new Map<number, Admin>();
    const opened: Admin[] = [];
    const byPartition = new Map<number, Admin>();
    try {
      for (const [partition, node] of leaders) {
        let admin = byNode.get(node.nodeId);
        if (!admin) {
          const same = node.host === bootstrap.host && node.port === bootstrap.port;
          admin = same ? bootstrap : await Admin.connect(`${node.host}:${node.port}`, security);
          if (!same) opened.push(admin);
          byNode.set(node.nodeId, admin);
        }
        byPartition.set(partition, admin);
      }
    } catch (err) {
      for (const a of opened) a.close();
      throw err;
    }
    return new PartitionLeaders(bootstrap, byPartition, opened, new Map([...leaders].map(([p, n]) => [p, n.nodeId])));
  }

  /** The connection to the partition's leader (the bootstrap one for a partition not known when opened). */
  of(partition: number): Admin {
    return this.byPartition.get(partition) ?? this.bootstrap;
  }

  /** The partitions by the connection to their leader. */
  grouped(partitions: readonly number[]): [Admin, number[]][] {
    const out = new Map<Admin, number[]>();
    for (const p of partitions) {
      const a = this.of(p);
      const ps = out.get(a);
      if (ps) ps.push(p);
      else out.set(a, [p]);
    }
    return [...out];
  }

  /** ListOffsets at each partition's leader. */
  async offsets(topic: string, partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const parts = await Promise.all(this.grouped(partitions).map(([a, ps]) => a.offsets(topic, ps, timestamp)));
    return new Map(parts.flatMap((m) => [...m]));
  }

  /** Every connection this opened (not the bootstrap one). */
  close(): void {
    for (const a of this.opened) a.close();
  }

  /** Every distinct connection, the bootstrap one included. */
  connections(): Admin[] {
    return [...new Set([this.bootstrap, ...this.byPartition.values()])];
  }
}
