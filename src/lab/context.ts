// What a scenario runs with: the suite's size, a place for data, brokers
// started on demand (each on a fresh data directory, all stopped at the
// end), and progress on stderr when it is a terminal.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '../client/admin.js';
import { BrokerProcess } from './broker-process.js';
import type { Contender } from './peers/run-system.js';
import { seededRandom, type Random } from './random.js';
import { durationSeconds, type Workload } from './workload.js';

/**
 * How big the runs are: quick (the main job), full (larger, repeated), or
 * smoke: every scenario at its smallest, so the tests can run the whole lab
 * end to end in well under a minute; its figures say little.
 */
export type LabSize = 'smoke' | 'quick' | 'full';

export interface BrokerSettings {
  engine: 'segmented' | 'commitlog';
  flush?: string;
  transfer?: string;
  extra?: string[];
  /** Let the broker log at info level, so its recovery reports (bytes truncated) reach BrokerProcess.recoveryLog. */
  logRecovery?: boolean;
  /** Also serve RocketMQ's gRPC API (BrokerProcess.rocketmqEndpoint), on a free port. */
  rocketmq?: boolean;
  /** The broker's own group.initial.rebalance.delay.ms (Kafka's 3 s) instead of the lab's 0. */
  defaultRebalanceDelay?: boolean;
}

export interface PeerOptions {
  /** Catalogue ids to run (all installed ones when absent). */
  systems?: string[];
  /** External clusters to run the same workload against. */
  targets: Contender[];
}

export class LabContext {
  private readonly brokers = new Set<BrokerProcess>();
  private serial = 0;

  constructor(
    readonly dataRoot: string,
    readonly size: LabSize,
    private readonly progressTo: NodeJS.WriteStream | null,
    readonly workload: Workload = {},
    /** Every random choice of the run derives from it (see random.ts). */
    readonly seed = 1,
    readonly peers: PeerOptions = { targets: [] },
  ) {
    mkdirSync(dataRoot, { recursive: true });
  }

  /** Repetitions per configuration: 3 in the full suite (median and spread), else 1. */
  get reps(): number {
    return this.size === 'full' ? 3 : 1;
  }

  /** The value for this size; smoke runs take the quick one unless given their own. */
  pick<T>(quick: T, full: T, smoke: T = quick): T {
    return this.size === 'full' ? full : this.size === 'smoke' ? smoke : quick;
  }

  /** Record value bytes: the workload's messageSize, else the scenario's. */
  valueBytes(fallback: number): number {
    return this.workload.messageSize ?? fallback;
  }

  /** Records per produce run: the workload's, else the size's default. */
  records(quick: number, full: number, smoke: number): number {
    return this.workload.records ?? this.pick(quick, full, smoke);
  }

  /** Records per second of fixed-rate runs (producerRate 0, "search", is the peers scenario's; the others take their default). */
  rate(quick: number, full: number, smoke = quick): number {
    return this.workload.producerRate || this.pick(quick, full, smoke);
  }

  /** Seconds of timed runs. */
  seconds(quick: number, full: number, smoke: number): number {
    return durationSeconds(this.workload, this.pick(quick, full, smoke));
  }

  /** A random stream of its own for one use (a scenario, a configuration), derived from the run's seed. */
  random(stream: string): Random {
    return seededRandom(this.seed, stream);
  }

  progress(message: string): void {
    if (this.progressTo) this.progressTo.write(`\r${message}`.padEnd(100).slice(0, 100));
  }

  endProgress(): void {
    if (this.progressTo) this.progressTo.write('\r'.padEnd(101) + '\r');
  }

  async startBroker(s: BrokerSettings): Promise<BrokerProcess> {
    const dir = join(this.dataRoot, `broker-${++this.serial}-${s.engine}`);
    rmSync(dir, { recursive: true, force: true });
    const b = await BrokerProcess.start(['--data-dir', dir, '--engine', s.engine, '--flush', s.flush ?? 'none', '--transfer', s.transfer ?? 'sendfile', ...(s.extra ?? [])], 0, {
      quiet: !s.logRecovery,
      rocketmqPort: s.rocketmq ? 0 : undefined,
      defaultRebalanceDelay: s.defaultRebalanceDelay,
    });
    this.brokers.add(b);
    return b;
  }

  /** Kills the broker with SIGKILL (a crash) and starts it again on its data and port. */
  async crashAndRestart(b: BrokerProcess): Promise<BrokerProcess> {
    await b.kill();
    this.brokers.delete(b);
    const again = await b.restart();
    this.brokers.add(again);
    return again;
  }

  async stopBroker(b: BrokerProcess): Promise<void> {
    this.brokers.delete(b);
    await b.stop();
  }

  /** An admin connection for one call sequence. */
  async admin<T>(b: BrokerProcess, use: (a: Admin) => Promise<T>): Promise<T> {
    const a = await Admin.connect(b.bootstrap);
    try {
      return await use(a);
    } finally {
      a.close();
    }
  }

  async close(): Promise<void> {
    for (const b of this.brokers) await b.stop();
    this.brokers.clear();
    rmSync(this.dataRoot, { recursive: true, force: true });
  }
}
