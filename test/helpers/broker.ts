// A real broker on a free loopback port over a temporary data directory,
// started the way `mqlab serve` starts one.
import { startBroker, type RunningBroker, type StartOptions } from '../../src/server/start.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../../src/server/settings.js';
import { tempDir } from './files.js';

export interface TestBroker extends RunningBroker {
  dataDir: string;
  bootstrap: string;
  /** Closes the broker and opens a new one on the same data (a clean restart). */
  restart(): Promise<TestBroker>;
  /** Closes and removes the data. */
  destroy(): Promise<void>;
}

/** Group rebalances start at once (Kafka waits 3 s for more members). */
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': '0' };

/** `options.groupClock`: the group coordinator's timers on a clock the test moves (a ManualClock). */
export async function startTestBroker(configs: Record<string, string> = {}, options: StartOptions = {}): Promise<TestBroker> {
  const tmp = tempDir('mqlab-broker-');
  return start(configs, tmp.dir, 0, tmp.cleanup, options);
}

async function start(configs: Record<string, string>, dir: string, port: number, cleanup: () => void, options: StartOptions): Promise<TestBroker> {
  const settings = applyProperties(DEFAULT_SERVE_SETTINGS, { port: String(port), 'log.dirs': dir, ...FAST_GROUPS, ...configs });
  // MQLAB_TEST_LOG=1 shows what the broker says (refused requests, recovery).
  const log = process.env.MQLAB_TEST_LOG ? (level: string, m: string) => console.error(`[broker ${level}] ${m}`) : undefined;
  const running = await startBroker(settings, log, options);
  const b: TestBroker = {
    ...running,
    dataDir: dir,
    bootstrap: `127.0.0.1:${running.port}`,
    restart: async () => {
      await running.close();
      // The same port, so clients that cached the address reconnect to it.
      return start(configs, dir, running.port, cleanup, options);
    },
    destroy: async () => {
      await running.close();
      cleanup();
    },
  };
  return b;
}
