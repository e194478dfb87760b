// Which node leads what. One `mqlab serve` is one node (id 0) by default;
// with mqlab.workers=N it is N nodes in one process, node 0 on the main
// thread and nodes 1..N-1 on worker threads (worker-nodes.ts), each a Kafka
// broker of its own with its own port, event loop, storage and partitions.
// Clients learn the nodes from Metadata and send each partition's produce
// and fetch to its leader themselves, so no record byte crosses threads.
// Node 0 is the controller and every group's and transactional id's
// coordinator; the other nodes forward those requests to it.
import type { TopicInfo } from '../broker/topics.js';
import { OFFSETS_TOPIC } from '../broker/groups/offset-store.js';

export interface NodeAddress {
  nodeId: number;
  host: string;
  port: number;
}

/** The node that coordinates groups and transactions and takes topic changes. */
export const CONTROLLER = 0;

export class ClusterView {
  /** Every node's address, by node id; empty until the nodes have all bound their ports. */
  private addresses: NodeAddress[] = [];
  /** Whether the addresses are known (a node serves no request before: it could not say where the partitions are). */
  ready: boolean;
  private told: () => void = () => undefined;
  readonly whenReady: Promise<void>;

  constructor(
    readonly nodeId: number,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a cluster has 1 node or more, got ${size}`);
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId >= size) throw new Error(`node ${nodeId} is not one of 0..${size - 1}`);
    this.ready = size === 1;
    this.whenReady = new Promise((resolve) => (this.told = resolve));
    if (this.ready) this.told();
  }

  /** The nodes clients are told of; a single node names itself at the address of the listener asked. */
  nodes(self: { host: string; port: number }): NodeAddress[] {
    if (this.size === 1 || this.addresses.length === 0) return [{ nodeId: this.nodeId, host: self.host, port: self.port }];
    return this.addresses;
  }

  setAddresses(addresses: readonly NodeAddress[]): void {
    if (addresses.length !== this.size) throw new Error(`expected ${this.size} node addresses, got ${addresses.length}`);
    this.addresses = [...addresses].sort((a, b) => a.nodeId - b.nodeId);
    this.ready = true;
    this.told();
  }

  /**
   * A partition's leader. Internal topics (committed offsets, the
   * transaction log) live with the coordinator. A topic's partitions go
   * round the nodes from a start its id picks, as Kafka spreads a new
   * topic's leaders from a random broker, so one-partition topics do not
   * all land on node 0. The id is kept with the topic, so the leader is
   * the same after a restart.
   */
  leaderOf(t: TopicInfo, partition: number): number {
    if (this.size === 1) return this.nodeId;
    if (t.internal || t.name === OFFSETS_TOPIC) return CONTROLLER;
    return (startNode(t.id, this.size) + partition) % this.size;
  }

  leads(t: TopicInfo, partition: number): boolean {
    return this.leaderOf(t, partition) === this.nodeId;
  }
}

/** The node a topic's partition 0 goes to: from the first 32 bits of its UUID. */
function startNode(id: string, size: number): number {
  const n = Number.parseInt(id.slice(0, 8), 16);
  return Number.isFinite(n) ? n % size : 0;
}
