// mqlab.workers: node n (1..N-1) on its worker thread. A whole Kafka broker
// over <data>/node-n (start.ts, told it is node n), which tells node 0 its
// port once open, logs through node 0, and closes when node 0 says so.
import { parentPort, workerData } from 'node:worker_threads';
import { PortRpc } from './port-rpc.js';
import { startBroker } from './start.js';
import type { WorkerNodeData } from './worker-nodes.js';

const data = workerData as WorkerNodeData;
const rpc = new PortRpc(parentPort!);
const log = (level: 'info' | 'warn' | 'error', message: string): void => {
  rpc.call('log', { level, message }).catch(() => undefined);
};
const running = await startBroker(data.settings, log, { node: { id: data.nodeId, size: data.size, rpc } });
rpc.handle('close', () => running.close());
await rpc.call('opened', { port: running.port });
