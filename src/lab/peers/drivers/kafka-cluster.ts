// What the peers' Kafka driver knows of a cluster, with mqlab's own
// client: the brokers and partition leaders from Metadata, the controller
// (where CreateTopics and DeleteTopics go), a group's coordinator, and one
// control connection per broker for these requests, apart from the
// producers' and consumers' own connections (a long-polling fetch would
// hold up what is queued behind it on a shared connection).
import { check } from '../../../client/admin.js';
import { KafkaConnection } from '../../../client/connection.js';
import { errorName } from '../../../protocol/kafka/index.js';

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface TopicLayout {
  /** Partition → the node leading it. */
  leaders: Map<number, number>;
}

/** Errors after which the metadata is stale: the request goes to the leader Metadata names now. */
export const STALE_METADATA = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'NOT_COORDINATOR']);

/** How long a new topic's partitions may take to get leaders (a real cluster elects them after CreateTopics answers). */
const LEADERS_WITHIN_MS = 30_000;
const LEADER_POLL_MS = 100;

export class KafkaCluster {
  private readonly nodes = new Map<number, BrokerAddress>();
  private readonly control = new Map<string, Promise<KafkaConnection>>();
  private controllerId = -1;
  private closed = false;

  constructor(
    private readonly bootstrap: readonly BrokerAddress[],
    readonly clientId: string,
  ) {}

  /** The address of a node Metadata has named. */
  node(id: number): BrokerAddress {
    const a = this.nodes.get(id);
    if (!a) throw new Error(`no broker ${id} in the cluster's metadata`);
    return a;
  }

  /** A connection of the driver's own to `address` (opened once, reopened after a failure). */
  async connection(address: BrokerAddress): Promise<KafkaConnection> {
    if (this.closed) throw new Error('the driver is closed');
    const key = `${address.host}:${address.port}`;
    let c = this.control.get(key);
    if (!c) {
      c = KafkaConnection.open(address.host, address.port, this.clientId);
      this.control.set(key, c);
      c.catch(() => this.control.delete(key));
    }
    return c;
  }

  /** A request on a control connection; a connection that failed is dropped so the next request opens a new one. */
  async request<R>(address: BrokerAddress, send: (c: KafkaConnection) => Promise<R>): Promise<R> {
    const c = await this.connection(address);
    try {
      return await send(c);
    } catch (err) {
      this.control.delete(`${address.host}:${address.port}`);
      c.close();
      throw err;
    }
  }

  /** Metadata for `topics` from the first bootstrap address that answers; records the brokers and the controller. */
  async metadata(topics: string[]): Promise<Map<string, { errorCode: number; leaders: Map<number, number> }>> {
    let last: Error | null = null;
    const known = [...this.nodes.values()];
    for (const address of [...this.bootstrap, ...known]) {
      try {
        const r = await this.request(address, (c) => c.request(3, 4, { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false }));
        for (const b of r.brokers) this.nodes.set(b.nodeId, { host: b.host, port: b.port });
        this.controllerId = r.controllerId;
        const out = new Map<string, { errorCode: number; leaders: Map<number, number> }>();
        for (const t of r.topics) {
          const leaders = new Map<number, number>();
          let errorCode = t.errorCode;
          for (const p of t.partitions) {
            if (p.errorCode !== 0 || p.leaderId < 0) errorCode ||= p.errorCode || 5; // LEADER_NOT_AVAILABLE
            else leaders.set(p.partitionIndex, p.leaderId);
          }
          out.set(t.name ?? '', { errorCode, leaders });
        }
        return out;
      } catch (err) {
        last = err as Error;
      }
    }
    throw new Error(`no broker of ${this.bootstrap.map((a) => `${a.host}:${a.port}`).join(', ')} answered Metadata: ${last?.message}`);
  }

  /** The topic's partitions and their leaders, once every partition has one (a new topic's may take a moment). */
  async layout(topic: string): Promise<TopicLayout> {
    const deadline = Date.now() + LEADERS_WITHIN_MS;
    for (;;) {
      const t = (await this.metadata([topic])).get(topic);
      const code = t?.errorCode ?? 3;
      if (code === 0 && t!.leaders.size > 0) return { leaders: t!.leaders };
      const name = errorName(code);
      if (name !== 'LEADER_NOT_AVAILABLE' && name !== 'UNKNOWN_TOPIC_OR_PARTITION') throw new Error(`topic ${topic}: ${name}`);
      if (Date.now() > deadline) throw new Error(`topic ${topic}: ${name} for ${LEADERS_WITHIN_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, LEADER_POLL_MS));
    }
  }

  /** The node CreateTopics and DeleteTopics go to (a ZooKeeper-mode Kafka answers NOT_CONTROLLER elsewhere; KRaft forwards). */
  async controller(): Promise<BrokerAddress> {
    if (this.controllerId < 0 || !this.nodes.has(this.controllerId)) await this.metadata([]);
    return this.nodes.get(this.controllerId) ?? this.bootstrap[0]!;
  }

  /** CreateTopics with the cluster's default replication factor (-1, KIP-464); false if it exists already. */
  async createTopic(name: string, partitions: number): Promise<boolean> {
    const r = await this.request(await this.controller(), (c) =>
      c.request(19, 4, { topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false }),
    );
    const t = r.topics[0]!;
    if (errorName(t.errorCode) === 'TOPIC_ALREADY_EXISTS') return false;
    check(t.errorCode, `creating topic ${name}`, t.errorMessage);
    return true;
  }

  async deleteTopics(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const r = await this.request(await this.controller(), (c) => c.request(20, 3, { topicNames: names, timeoutMs: 30_000 }));
    for (const t of r.responses) if (errorName(t.errorCode) !== 'UNKNOWN_TOPIC_OR_PARTITION') check(t.errorCode, `deleting topic ${t.name}`);
  }

  /** The group's coordinator (FindCoordinator v2: key type 0, a group). */
  async coordinator(group: string): Promise<BrokerAddress> {
    const deadline = Date.now() + LEADERS_WITHIN_MS;
    for (;;) {
      const r = await this.request(this.bootstrap[0]!, (c) => c.request(10, 2, { key: group, keyType: 0 }));
      const name = errorName(r.errorCode);
      if (name === 'NONE') return { host: r.host, port: r.port };
      // A new cluster loads __consumer_offsets first.
      if ((name !== 'COORDINATOR_NOT_AVAILABLE' && name !== 'COORDINATOR_LOAD_IN_PROGRESS') || Date.now() > deadline) check(r.errorCode, `finding the coordinator of group ${group}`, r.errorMessage);
      await new Promise((res) => setTimeout(res, LEADER_POLL_MS));
    }
  }

  /** ListOffsets (-2 earliest, -1 latest) of partitions, each asked of its leader. */
  async offsets(topic: string, layout: TopicLayout, partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const byLeader = new Map<number, number[]>();
    for (const p of partitions) {
      const leader = layout.leaders.get(p);
      if (leader === undefined) throw new Error(`${topic}-${p} has no leader`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const out = new Map<number, bigint>();
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        const r = await this.request(this.node(leader), (c) =>
          c.request(2, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })) }] }),
        );
        for (const p of r.topics[0]?.partitions ?? []) {
          check(p.errorCode, `offsets of ${topic}-${p.partitionIndex}`);
          out.set(p.partitionIndex, p.offset);
        }
      }),
    );
    return out;
  }

  close(): void {
    this.closed = true;
    for (const c of this.control.values()) void c.then((x) => x.close(), () => undefined);
    this.control.clear();
  }
}
