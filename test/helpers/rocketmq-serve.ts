// `mqlab serve` with its RocketMQ endpoint as a child process, so a test can
// SIGKILL it and start it again on the same data and the same ports (the
// official clients keep the address they were given and reconnect to it).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export class RocketServe {
  private constructor(
    private readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly settings: Record<string, string>,
    readonly kafkaPort: number,
    readonly rocketmqPort: number,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.rocketmqPort}`;
  }

  static async start(dataDir: string, settings: Record<string, string>, ports = { kafka: 0, rocketmq: 0 }): Promise<RocketServe> {
    const sets = Object.entries({ 'group.initial.rebalance.delay.ms': '0', ...settings }).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(ports.kafka), '--rocketmq-port', String(ports.rocketmq), '--no-http', '--data-dir', dataDir, '--quiet', ...sets], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      if (process.env.MQLAB_TEST_LOG) process.stderr.write(`[serve] ${d.toString()}`);
    });
    const [kafka, rocketmq] = await new Promise<[number, number]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const k = /listening on [\d.]+:(\d+)/.exec(out);
        const r = /RocketMQ gRPC endpoint on [\d.]+:(\d+)/.exec(out);
        if (k && r) resolve([Number(k[1]), Number(r[1])]);
      });
      child.once('exit', (code) => reject(new Error(`mqlab serve exited with ${code}: ${stderr.trim()}`)));
    });
    return new RocketServe(child, dataDir, settings, kafka, rocketmq);
  }

  /** The same broker again: same data, same ports. */
  restart(): Promise<RocketServe> {
    return RocketServe.start(this.dataDir, this.settings, { kafka: this.kafkaPort, rocketmq: this.rocketmqPort });
  }

  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM, and wait until it is gone. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(sig);
    });
  }
}
