// `mqlab serve` as a child process, the way a user runs it, for tests that
// abuse it: its memory is its own (read from /proc), a crash is an exit
// rather than a failed test worker, and what it logs is counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export class ServeProcess {
  /** "closing connection" lines: connections the broker closed, with their reasons. */
  closedConnections = 0;
  readonly closeReasons = new Map<string, number>();
  /** Lines that are not the broker's own log: stack traces, Node warnings. */
  readonly strayLines: string[] = [];
  readonly errorLines: string[] = [];
  private lastLines: string[] = [];
  private exit: Promise<{ code: number | null; signal: string | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly httpPort: number | null,
    /** The RocketMQ gRPC endpoint's port, when asked for with --rocketmq-port. */
    readonly rocketmqPort: number | null,
  ) {
    this.exit = new Promise((resolve) => {
      if (child.exitCode !== null) resolve({ code: child.exitCode, signal: null });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Starts `mqlab serve` on free ports with these extra flags and waits for its addresses. */
  static async start(dataDir: string, args: string[], http = false): Promise<ServeProcess> {
    // Not on RocketMQ's fixed default port unless asked: two test files running at once would collide there.
    const rocketmq = args.some((a) => a === '--rocketmq-port' || a === '--no-rocketmq') ? [] : ['--no-rocketmq'];
    const wantRocketMq = args.includes('--rocketmq-port') && !args.includes('--no-rocketmq');
    const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--quiet', ...(http ? ['--http-port', '0'] : ['--no-http']), ...rocketmq, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let watch: ServeProcess | null = null;
    const early: string[] = [];
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) (watch ? watch.onLine(line) : early.push(line));
    });
    const [port, httpPort, rocketmqPort] = await new Promise<[number, number | null, number | null]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const k = /listening on [\d.]+:(\d+)/.exec(out);
        const h = /HTTP API on http:\/\/[\d.]+:(\d+)/.exec(out);
        const r = /RocketMQ gRPC endpoint on [\d.]+:(\d+)/.exec(out);
        if (k && (!http || h) && (!wantRocketMq || r)) resolve([Number(k[1]), h ? Number(h[1]) : null, r ? Number(r[1]) : null]);
      });
      child.once('exit', (code) => reject(new Error(`mqlab serve exited with ${code}: ${early.join('\n')}`)));
    });
    watch = new ServeProcess(child, port, httpPort, rocketmqPort);
    for (const line of early) watch.onLine(line);
    return watch;
  }

  private onLine(line: string): void {
    this.lastLines.push(line);
    if (this.lastLines.length > 50) this.lastLines.shift();
    const closing = /WARN closing connection \d+ from \S+: (.*)$/.exec(line);
    if (closing) {
      this.closedConnections++;
      // The reason without its numbers, so that reasons group.
      const reason = closing[1]!.replace(/\d+/g, 'N').slice(0, 120);
      this.closeReasons.set(reason, (this.closeReasons.get(reason) ?? 0) + 1);
    } else if (/^\[[^\]]+\] ERROR /.test(line)) {
      this.errorLines.push(line);
    } else if (!/^\[[^\]]+\] (WARN|INFO) /.test(line) && line.trim() !== '') {
      this.strayLines.push(line);
    }
  }

  /** What the broker said last, for failure messages. */
  get tail(): string {
    return this.lastLines.join('\n');
  }

  private status(field: string): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  }

  /** Resident memory now, bytes. */
  rssBytes(): number {
    return this.status('VmRSS');
  }

  /** The most resident memory the process has had (the kernel's high-water mark), bytes. */
  peakRssBytes(): number {
    return this.status('VmHWM');
  }

  /** CPU seconds the process has used (user + system). */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // utime and stime are fields 14 and 15 of stat; 12 and 13 once pid and comm are cut off.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  /** SIGTERM, and the exit it leads to (0: a clean shutdown). */
  async stop(): Promise<{ code: number | null; signal: string | null }> {
    if (!this.exited) this.child.kill('SIGTERM');
    return this.exit;
  }

  async kill(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exit;
  }
}
