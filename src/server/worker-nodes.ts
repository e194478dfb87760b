// mqlab.workers on node 0: starts nodes 1..N-1 on worker threads
// (worker-node.ts), each a whole Kafka broker over <data>/node-<n> on the
// listener's port + n, and keeps them in step with node 0, the controller:
// every topic and dynamic config change node 0 makes is mirrored to them
// before the request that made it is answered (so a client that creates a
// topic and then produces to another node finds it there), and the
// transaction markers the coordinator writes go to the partition's node.
// The other way, they forward what node 0 serves (forwarding.ts) and ask
// its coordinator about transactional batches.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Broker } from '../broker/broker.js';
import type { ProduceRefusal } from '../broker/txn/transactions.js';
import { writeFileAtomic } from '../broker/atomic-file.js';
import type { ClusterView, NodeAddress } from './cluster.js';
import { asBuffer, PortRpc } from './port-rpc.js';
import type { ServeSettings } from './settings.js';

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

/** What starts a worker thread's node (worker-node.ts). */
export interface WorkerNodeData {
  settings: ServeSettings;
  nodeId: number;
  size: number;
}

export interface MarkerCall {
  topic: string;
  partition: number;
  producerId: bigint;
  epoch: number;
  type: 'commit' | 'abort';
}

export interface TxnCheckCall {
  topic: string;
  partition: number;
  producerId: bigint;
  epoch: number;
  transactionalId: string | null;
}

/** Node n's settings: its own data directory, its port from mqlab.workers.ports, else the listener's port + n (0 stays 0: a free one). */
export function nodeSettings(settings: ServeSettings, nodeId: number): ServeSettings {
  const [l] = settings.listeners;
  const ports = settings.configs['mqlab.workers.ports'] ?? '';
  const port = ports !== '' ? Number(ports.split(',')[nodeId - 1]) : l!.port === 0 ? 0 : l!.port + nodeId;
  return {
    ...settings,
    dataDir: join(settings.dataDir, `node-${nodeId}`),
    listeners: [{ ...l!, port }],
    configs: { ...settings.configs },
  };
}

/**
 * The data directory remembers how many nodes wrote it: a partition's data
 * is on the node that led it, and another count would lead it elsewhere.
 * A directory from before (topics, no record) was written by one node.
 */
export function checkNodeCount(dataDir: string, size: number): void {
  const file = join(dataDir, CLUSTER_FILE);
  const recorded = existsSync(file) ? Number((JSON.parse(readFileSync(file, 'utf8')) as { workers: number }).workers) : existsSync(join(dataDir, 'topics.json')) ? 1 : null;
  if (recorded !== null && recorded !== size) {
    throw new Error(`${dataDir} was written with mqlab.workers=${recorded}: start it with that (each partition's data is on the node that led it), or use another data directory`);
  }
}

/** Once every node has started: a start that failed leaves nothing that ties the directory to its count. */
export function recordNodeCount(dataDir: string, size: number): void {
  const file = join(dataDir, CLUSTER_FILE);
  if (size > 1 && !existsSync(file)) writeFileAtomic(file, JSON.stringify({ workers: size }));
}

const CLUSTER_FILE = 'cluster.json';

interface Node {
  nodeId: number;
  worker: Worker;
  rpc: PortRpc;
  port: number;
}

export class WorkerNodes {
  private syncedTopics = -1;
  private syncedConfigs = -1;
  private syncing: Promise<void> = Promise.resolve();
  private broker: Broker | null = null;
  private closing = false;

  private constructor(
    private readonly nodes: Node[],
    private readonly cluster: ClusterView,
    private readonly onFatal: (err: Error) => void,
  ) {}

  /** Starts nodes 1..size-1 and waits until each has opened its storage and bound its port. */
  static async start(settings: ServeSettings, cluster: ClusterView, log: Log, onFatal: (err: Error) => void): Promise<WorkerNodes> {
    const entry = new URL('./worker-node.js', import.meta.url);
    const started: Node[] = [];
    let self: WorkerNodes | null = null;
    try {
      const opening = [];
      for (let nodeId = 1; nodeId < cluster.size; nodeId++) {
        const data: WorkerNodeData = { settings: nodeSettings(settings, nodeId), nodeId, size: cluster.size };
        const worker = new Worker(entry, { workerData: data });
        const rpc = new PortRpc(worker);
        const node: Node = { nodeId, worker, rpc, port: -1 };
        started.push(node);
        rpc.handle('log', (m: { level: 'info' | 'warn' | 'error'; message: string }) => log(m.level, `node ${nodeId}: ${m.message}`));
        opening.push(
          new Promise<void>((resolve, reject) => {
            rpc.handle('opened', (m: { port: number }) => {
              node.port = m.port;
              resolve();
            });
            // Before the start is done this fails the start; after it, unless closing, the broker (an error is followed by the exit).
            let failed = false;
            const fail = (err: Error): void => {
              if (failed) return;
              failed = true;
              rpc.fail(err);
              reject(err);
              if (self && !self.closing) onFatal(err);
            };
            worker.on('error', (err) => fail(new Error(`node ${nodeId} failed: ${err.message}`)));
            worker.once('exit', (code) => fail(new Error(`node ${nodeId} (a worker thread) stopped with exit code ${code}`)));
          }),
        );
      }
      await Promise.all(opening);
    } catch (err) {
      await Promise.all(started.map((n) => n.worker.terminate()));
      throw err;
    }
    self = new WorkerNodes(started, cluster, onFatal);
    return self;
  }

  addresses(host: string): NodeAddress[] {
    return this.nodes.map((n) => ({ nodeId: n.nodeId, host, port: n.port }));
  }

  /** Node 0's broker, before it opens: finishing the transactions a crash left ending writes markers on the other nodes. */
  attach(broker: Broker): void {
    this.broker = broker;
    broker.topics.trackDeletions = true;
  }

  /**
   * Node 0 is open and listening: the other nodes get its topics and
   * configs, may ask it what they forward, and learn every node's address,
   * after which they serve.
   */
  async serve(forward: (frame: Buffer, clientHost: string) => Promise<Buffer | null>, addresses: readonly NodeAddress[]): Promise<void> {
    const broker = this.broker!;
    for (const n of this.nodes) {
      n.rpc.handle('forward', async (m: { frame: Uint8Array; clientHost: string }) => forward(asBuffer(m.frame), m.clientHost));
      n.rpc.handle('txnCheck', (m: TxnCheckCall): ProduceRefusal | null => broker.transactions.checkTransactional(m.topic, m.partition, m.producerId, m.epoch, m.transactionalId));
    }
    await this.sync();
    await Promise.all(this.nodes.map((n) => n.rpc.call('addresses', addresses)));
  }

  /** What settle() compares: topic and config changes so far (both counters only grow). */
  mark(): number {
    const b = this.broker;
    return b ? b.topics.changes + b.configs.changes : 0;
  }

  /**
   * After a request on node 0: null if it changed no topic or config since
   * `mark` was taken before it, else the other nodes told. A request that
   * changed nothing does not wait behind another's mirror.
   */
  settle(mark: number): Promise<void> | null {
    return this.mark() === mark ? null : this.sync();
  }

  /**
   * One mirror at a time, so none is applied out of order: the first of
   * every topic (the other nodes drop what node 0 no longer has), then of
   * what changed since the last (TopicRegistry.changedSince).
   */
  private sync(): Promise<void> {
    const run = this.syncing.then(async () => {
      const b = this.broker!;
      const topics = b.topics.changes;
      const configs = b.configs.changes;
      if (topics === this.syncedTopics && configs === this.syncedConfigs) return;
      const state = { topics: this.syncedTopics < 0 ? b.topics.list() : b.topics.changedSince(this.syncedTopics), configs: b.configs.dynamic() };
      try {
        await Promise.all(this.nodes.map((n) => n.rpc.call('mirror', state)));
      } catch (err) {
        // A node that could not take a change (its disk full, say) no longer agrees with node 0 on what exists: stop, as a broker whose storage failed.
        const e = new Error(`a node could not take node 0's topics and configs: ${(err as Error).message}`);
        if (!this.closing) this.onFatal(e);
        throw e;
      }
      this.syncedTopics = topics;
      this.syncedConfigs = configs;
      b.topics.forgetDeletions(topics);
    });
    this.syncing = run.catch(() => undefined);
    return run;
  }

  /** The coordinator's marker for a partition another node leads: written there if the producer has data open. */
  marker(m: MarkerCall): Promise<void> {
    const t = this.broker?.topics.get(m.topic);
    const leader = t ? this.cluster.leaderOf(t, m.partition) : 0;
    const node = this.nodes.find((n) => n.nodeId === leader);
    if (!node) return Promise.reject(new Error(`no node leads ${m.topic}-${m.partition}`));
    return node.rpc.call('marker', m);
  }

  /** Each node closes its listener and storage, then its thread ends. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        await n.rpc.call('close').catch(() => undefined);
        await n.worker.terminate();
      }),
    );
  }
}
