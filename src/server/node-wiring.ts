// How start.ts wires a broker into a mqlab.workers cluster (cluster.ts):
// what the mode refuses, the role a node's Broker plays (node 0 writes
// markers elsewhere; the others ask node 0's coordinator and take its
// topics), the calls node 0 makes of the others, and how node 0 answers a
// request another node forwarded.
import type { Broker } from '../broker/broker.js';
import type { BrokerConfig } from '../broker/broker-config.js';
import type { TopicChanges, TopicInfo } from '../broker/topics.js';
import type { ProduceRefusal } from '../broker/txn/transactions.js';
import type { RequestHandler } from '../broker/network/connection.js';
import { Session, type ListenerInfo } from '../broker/network/session.js';
import type { ClusterView, NodeAddress } from './cluster.js';
import { resolveListeners } from './listeners.js';
import type { PortRpc } from './port-rpc.js';
import type { ServeSettings } from './settings.js';
import type { MarkerCall, WorkerNodes } from './worker-nodes.js';

/** Set by worker-node.ts only: this is node `id` of `size`, on a worker thread, talking to node 0 over `rpc`. */
export interface NodeLink {
  id: number;
  size: number;
  rpc: PortRpc;
}

/**
 * mqlab.workers > 1 serves Kafka clients on one PLAINTEXT listener. What
 * needs one node's view of everything is refused rather than half served:
 * the RocketMQ endpoint and ACLs (not per node yet), and transaction.version
 * 2, whose produces join transactions on the partition's node (1 is the
 * default here: clients add partitions at the coordinator).
 */
export function workerModeSettings(settings: ServeSettings, withRocketMq: boolean): ServeSettings {
  const n = settings.configs['mqlab.workers'];
  if (settings.listeners.length !== 1) throw new Error(`mqlab.workers=${n} serves one listener (the nodes take its port + n): ${settings.listeners.length} are configured`);
  if (withRocketMq) throw new Error(`mqlab.workers=${n} serves Kafka clients only: start without the RocketMQ endpoint (--no-rocketmq)`);
  if ((settings.configs['authorizer.class.name'] ?? '').trim() !== '') throw new Error(`mqlab.workers=${n} does not take an authorizer (ACLs are one node's)`);
  const ports = settings.configs['mqlab.workers.ports'] ?? '';
  if (ports !== '' && ports.split(',').length !== Number(n) - 1) throw new Error(`mqlab.workers.ports names ${ports.split(',').length} ports: mqlab.workers=${n} needs ${Number(n) - 1} (nodes 1 to ${Number(n) - 1})`);
  if (settings.configs['transaction.version'] === '2') throw new Error(`mqlab.workers=${n} takes transaction.version 0 or 1 (at 2 a produce joins its transaction on the partition's node)`);
  const listeners = resolveListeners(settings);
  if (listeners[0]!.protocol !== 'PLAINTEXT') throw new Error(`mqlab.workers=${n} serves a PLAINTEXT listener only, not ${listeners[0]!.protocol}`);
  return { ...settings, configs: { ...settings.configs, 'transaction.version': settings.configs['transaction.version'] ?? '1' } };
}

/** Node 0 marks transactions on the nodes that lead their partitions; the others take topics from node 0 and ask its coordinator. */
export function nodeRole(link: NodeLink | null, others: WorkerNodes | null): BrokerConfig['node'] {
  if (link) {
    return {
      createsTopics: false,
      coordinatorElsewhere: (topic, partition, producerId, epoch, transactionalId) => link.rpc.call<ProduceRefusal | null>('txnCheck', { topic, partition, producerId, epoch, transactionalId }),
    };
  }
  if (others) return { createsTopics: true, markerElsewhere: (topic, partition, producerId, epoch, type) => others.marker({ topic, partition, producerId, epoch, type }) };
  return undefined;
}

/** A node other than 0: what node 0 tells it. */
export function serveNodeCalls(rpc: PortRpc, broker: Broker, cluster: ClusterView): void {
  rpc.handle('mirror', (m: { topics: TopicInfo[] | TopicChanges; configs: Record<string, string> }) =>
    broker.mirrorTopics(m.topics).then(() => broker.configs.mirror(m.configs)),
  );
  rpc.handle('marker', (m: MarkerCall) => broker.transactions.writeMarkerIfOpen(m.topic, m.partition, m.producerId, m.epoch, m.type));
  rpc.handle('addresses', (a: NodeAddress[]) => cluster.setAddresses(a));
}

/** Node 0 answers a request another node forwarded as if it came on its first listener, from the same client host. */
export function forwardTo(l: { handler: RequestHandler } & ListenerInfo): (frame: Buffer, clientHost: string) => Promise<Buffer | null> {
  return async (frame, clientHost) => {
    const response = await l.handler({
      apiKey: frame.readInt16BE(0),
      apiVersion: frame.readInt16BE(2),
      correlationId: frame.readInt32BE(4),
      frame,
      connectionId: -1,
      remoteAddress: clientHost,
      clientHost,
      session: new Session(l),
    });
    if (response === null) return null;
    if (response.parts.some((p) => p.regions.length > 0)) throw new Error('a forwarded request was answered with log regions');
    // Out of Node's shared pool: posting a pooled buffer would copy its whole 8 KiB slab.
    const out = Buffer.allocUnsafeSlow(response.parts.reduce((n, p) => n + p.bytes.length, 0));
    let at = 0;
    for (const p of response.parts) at += p.bytes.copy(out, at);
    return out;
  };
}
