// mqlab itself as a peer: `mqlab serve` in its own process (BrokerProcess)
// on free loopback ports over the data directory the lab gives, with one
// storage engine and transfer strategy, speaking Kafka, and with
// `rocketmq` also RocketMQ 5's gRPC API. The persistence modes are the
// broker's flush policy. Kafka and RocketMQ have no non-persistent mode:
// every message goes to the log, so "on" is their default, --flush none
// (appended to the log, acknowledged from the page cache: Kafka's default,
// RocketMQ's ASYNC_FLUSH), and "fsync" is --flush batch (an fdatasync,
// shared by the appends in flight, before an acks=-1 produce or a RocketMQ
// SendMessage is answered: RocketMQ's SYNC_FLUSH).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerProcess } from '../../broker-process.js';
import { packageRoot } from '../../../native/addon.js';
import type { PersistenceSpec } from '../systems.js';
import { treeCpuSeconds, type PeerServer, type ServerSpec } from './server.js';

export type MqlabEngine = 'segmented' | 'commitlog';
export type MqlabTransfer = 'sendfile' | 'mmap';

/** What "on" and "off" mean for mqlab (the flush policy; acks=-1 is the clients'). */
export const MQLAB_MODES: PersistenceSpec[] = [
  { id: 'on', label: 'flush none: appended to the log, acknowledged from the page cache (Kafka\'s default, RocketMQ\'s ASYNC_FLUSH)' },
  { id: 'fsync', label: 'flush batch: fdatasync (group commit) before an acks=-1 produce or a SendMessage is answered (RocketMQ\'s SYNC_FLUSH)' },
];

const FLUSH: Record<string, string> = { on: 'none', fsync: 'batch' };

/** How long a SIGTERM (a clean shutdown: logs flushed, marker written) may take before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;

function mqlabVersion(): string {
  try {
    return `mqlab ${(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch {
    return 'mqlab';
  }
}

/**
 * mqlab with this engine and transfer strategy. Its endpoint is the Kafka
 * listener; with `rocketmq` it is the RocketMQ gRPC endpoint instead, and
 * the Kafka listener is endpoint.kafkaAdmin (where the RocketMQ driver
 * creates its topics: the gRPC API has no topic creation).
 */
export function mqlabServer(engine: MqlabEngine, transfer: MqlabTransfer, rocketmq: boolean): ServerSpec {
  const system = rocketmq ? 'mqlab-rocketmq' : 'mqlab-kafka';
  return {
    system,
    apt: '',
    installed: () => true,
    async start(dataDir: string, mode: string): Promise<PeerServer> {
      const flush = FLUSH[mode];
      if (flush === undefined) throw new Error(`${system}: no persistence mode "${mode}" (expected ${Object.keys(FLUSH).join(' or ')})`);
      const b = await BrokerProcess.start(['--data-dir', dataDir, '--engine', engine, '--transfer', transfer, '--flush', flush], 0, { rocketmqPort: rocketmq ? 0 : undefined });
      const kafka = { host: b.host, port: b.port };
      let endpoint: PeerServer['endpoint'] = kafka;
      if (rocketmq) {
        const at = b.rocketmqEndpoint!.lastIndexOf(':');
        endpoint = { host: b.rocketmqEndpoint!.slice(0, at), port: Number(b.rocketmqEndpoint!.slice(at + 1)), kafkaAdmin: kafka };
      }
      return {
        system,
        pid: b.pid,
        endpoint,
        version: mqlabVersion(),
        startupMs: b.startupMs,
        cpuSeconds: () => treeCpuSeconds(b.pid),
        async stop() {
          const timer = setTimeout(() => void b.kill(), STOP_TIMEOUT_MS);
          try {
            await b.stop();
          } finally {
            clearTimeout(timer);
          }
        },
      };
    },
  };
}
