// A real broker on a free loopback port over a temporary data directory,
// started the way `mqlab serve` starts one.
import { startBroker, type RunningBroker, type StartOptions } from '../../src/server/start.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../../src/server/settings.js';
import { tempDir } from './files.js';

export interface TestBroker extends RunningBroker {
  dataDir: string;
  bootstrap: string;
  /** host:port of the RocketMQ endpoint, when started with { rocketmq: true }. */
  rocketmqEndpoint: string | null;
  /** Closes the broker and opens a new one on the same data (a clean restart). */
  restart(): Promise<TestBroker>;
  /** Closes and removes the data. */
  destroy(): Promise<void>;
}

/** Group rebalances start at once (Kafka waits 3 s for more members). */
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': '0' };

export interface TestBrokerOptions extends Omit<StartOptions, 'rocketmqPort'> {
  /** Also serve RocketMQ's gRPC API, on a free port. */
  rocketmq?: boolean;
}

/** `options.groupClock`: the group coordinator's timers on a clock the test moves (a ManualClock). */
export async function startTestBroker(configs: Record<string, string> = {}, options: TestBrokerOptions = {}): Promise<TestBroker> {
  const tmp = tempDir('mqlab-broker-');
  try {
    return await start(configs, tmp.dir, 0, tmp.cleanup, options, 0);
  } catch (err) {
    // A broker that refuses its settings (what some tests ask for) leaves no directory behind.
    tmp.cleanup();
    throw err;
  }
}

async function start(configs: Record<string, string>, dir: string, port: number, cleanup: () => void, options: TestBrokerOptions, rocketmqPort: number): Promise<TestBroker> {
  const settings = applyProperties(DEFAULT_SERVE_SETTINGS, { port: String(port), 'log.dirs': dir, ...FAST_GROUPS, ...configs });
  // MQLAB_TEST_LOG=1 shows what the broker says (refused requests, recovery).
  const log = process.env.MQLAB_TEST_LOG ? (level: string, m: string) => console.error(`[broker ${level}] ${m}`) : undefined;
  const { rocketmq, ...startOptions } = options;
  const running = await startBroker(settings, log, rocketmq ? { ...startOptions, rocketmqPort } : startOptions);
  const b: TestBroker = {
    ...running,
    dataDir: dir,
    bootstrap: `127.0.0.1:${running.port}`,
    rocketmqEndpoint: running.rocketmq ? `127.0.0.1:${running.rocketmq.port}` : null,
    restart: async () => {
      await running.close();
      // The same port, so clients that cached the address reconnect to it.
      return start(configs, dir, running.port, cleanup, options, running.rocketmq?.port ?? 0);
    },
    destroy: async () => {
      await running.close();
      cleanup();
    },
  };
  return b;
}

/** Whether a group's committed offsets have reached the end of every partition of a topic. */
export function committedToEnd(b: TestBroker, groupId: string, topic: string, partitions: number): boolean {
  for (let p = 0; p < partitions; p++) {
    if (b.broker.coordinator.committed(groupId, topic, p).offset !== b.broker.engine.highWatermark({ topic, partition: p })) return false;
  }
  return true;
}
