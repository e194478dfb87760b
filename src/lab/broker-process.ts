// A broker for the lab, in its own process (`mqlab serve` with an IPC
// channel): its CPU time is its own, it can be swapped between engines and
// settings between runs, and it can be killed. Its addon and engine
// counters are read over the IPC channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TransferCounters } from '../native/addon.js';
import { packageRoot } from '../native/addon.js';
import type { StreamSendCounters } from '../transfer/stream-send.js';
import { BROKER_NODE_FLAGS } from '../server/heap-policy.js';

export interface BrokerStats {
  strategy: string;
  transfer: TransferCounters;
  /** What TLS connections sent through their streams (pread, then OpenSSL), not through the addon. */
  streamSend: StreamSendCounters;
  engine: Record<string, number>;
  /** process.cpuUsage() of the broker, µs. */
  cpu: { user: number; system: number };
  /** V8's collections since the broker started: mark-compacts, scavenges, and their pauses in ms (absent from brokers before 2026-12-05). */
  gc?: { major: number; minor: number; ms: number };
}

export interface StartOptions {
  /** --quiet (the default): no info lines, so no recovery reports either. */
  quiet?: boolean;
  /** Also serve RocketMQ's gRPC API: on this port, or 0 for a free one (off when absent). */
  rocketmqPort?: number;
  /**
   * Keep the broker's own group.initial.rebalance.delay.ms (Kafka's 3 s).
   * Without it the lab sets 0, so a scenario's new group does not wait 3 s
   * before its first assignment.
   */
  defaultRebalanceDelay?: boolean;
  /** Flags for node itself, before the script (e.g. --cpu-prof, --cpu-prof-dir D); none by default. */
  nodeFlags?: string[];
}

export class BrokerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (s: BrokerStats) => void>();
  /** The Kafka nodes: this broker alone, or with --workers N node 0 and the worker threads' (httpPort is then -1: no HTTP API). */
  nodes: { nodeId: number; host: string; port: number }[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly host: string,
    readonly port: number,
    /** The broker's HTTP API. */
    readonly httpPort: number,
    /** RocketMQ's gRPC endpoint (host:port), when asked for. */
    readonly rocketmqEndpoint: string | null,
    /** Every listener by name (PLAINTEXT, SSL, ...), from its "mqlab listener" line. */
    readonly listeners: Readonly<Record<string, { host: string; port: number }>>,
    private readonly args: string[],
    private readonly options: StartOptions,
    /** From spawn to the "listening" line: Node's start, opening (and recovering) the logs, binding the port. */
    readonly startupMs: number,
    /**
     * The broker's "recovery: ..." log lines (only without --quiet).
     * Complete once it has been stopped or killed: stderr is read to its end by then.
     */
    readonly recoveryLog: string[],
    /** Settles on 'close', not 'exit': by then stdout and stderr have been read to their end. */
    private readonly closed: Promise<void>,
  ) {
    child.on('message', (m: BrokerStats & { id: number }) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** Starts `mqlab serve` with these flags (port 0: a free one) and waits for its address. */
  static async start(args: string[], port = 0, options: StartOptions = {}): Promise<BrokerProcess> {
    const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
    const started = performance.now();
    const quiet = options.quiet === false ? [] : ['--quiet'];
    const rocketmq = options.rocketmqPort === undefined ? ['--no-rocketmq'] : ['--rocketmq-port', String(options.rocketmqPort)];
    const delay = options.defaultRebalanceDelay ? [] : ['--set', 'group.initial.rebalance.delay.ms=0'];
    const child = spawn(process.execPath, [...BROKER_NODE_FLAGS, ...(options.nodeFlags ?? []), cli, 'serve', '--host', '127.0.0.1', '--port', String(port), '--http-port', '0', ...quiet, ...rocketmq, ...delay, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let stderr = '';
    let partial = '';
    const recoveryLog: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr = (stderr + text).slice(-4000);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.includes(' recovery: ')) recoveryLog.push(line);
    });
    const listeners: Record<string, { host: string; port: number }> = {};
    // mqlab.workers > 1 serves no HTTP API: the last line is then the last node's.
    const workersAt = args.lastIndexOf('--workers');
    const workers = workersAt >= 0 ? Number(args[workersAt + 1]) : 1;
    const nodes: { nodeId: number; host: string; port: number }[] = [];
    const address = await new Promise<[string, number, number, string | null]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on ([\d.]+):(\d+)/.exec(out);
        const h = /HTTP API on http:\/\/[\d.]+:(\d+)/.exec(out);
        const r = /RocketMQ gRPC endpoint on ([\d.]+:\d+)/.exec(out);
        // Printed before the HTTP line, so all are in by the time it is.
        for (const l of out.matchAll(/mqlab listener (\S+) \(\S+\) on ([\d.]+):(\d+)/g)) listeners[l[1]!] = { host: l[2]!, port: Number(l[3]) };
        const others = [...out.matchAll(/mqlab node (\d+) \(a worker thread\) on ([\d.]+):(\d+)/g)];
        if (m && workers > 1 && others.length === workers - 1) {
          nodes.push({ nodeId: 0, host: m[1]!, port: Number(m[2]) }, ...others.map((n) => ({ nodeId: Number(n[1]), host: n[2]!, port: Number(n[3]) })));
          resolve([m[1]!, Number(m[2]), -1, null]);
        }
        if (m && h && (r || options.rocketmqPort === undefined)) resolve([m[1]!, Number(m[2]), Number(h[1]), r ? r[1]! : null]);
      });
      child.once('exit', (code) => reject(new Error(`mqlab serve exited with ${code}: ${stderr.trim()}`)));
    });
    const self = new BrokerProcess(child, address[0], address[1], address[2], address[3], listeners, args, options, performance.now() - started, recoveryLog, closed);
    self.nodes = nodes.length > 0 ? nodes : [{ nodeId: 0, host: address[0], port: address[1] }];
    return self;
  }

  stats(): Promise<BrokerStats> {
    return this.ask('stats');
  }

  resetCounters(): Promise<BrokerStats> {
    return this.ask('reset-counters');
  }

  private ask(type: string): Promise<BrokerStats> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the broker did not answer a stats request')), 5000);
      this.waiting.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.child.send({ type, id });
    });
  }

  /** SIGTERM and wait: a clean shutdown. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /**
   * SIGINT and wait: the same clean shutdown, but the one a --cpu-prof child
   * can write its profile on (node writes it at exit, and the broker exits
   * through process.exit from its SIGINT handler).
   */
  interrupt(): Promise<void> {
    return this.signal('SIGINT');
  }

  /** The same broker again (same data, same port), after a stop or a kill. */
  restart(): Promise<BrokerProcess> {
    const rocketmqPort = this.rocketmqEndpoint === null ? undefined : Number(this.rocketmqEndpoint.split(':')[1]);
    // Under --workers each node keeps its own port too (by default a node's is node 0's + n, which another process may hold).
    const ports = this.nodes.length > 1 ? ['--set', `mqlab.workers.ports=${this.nodes.slice(1).map((n) => n.port).join(',')}`] : [];
    return BrokerProcess.start([...this.args, ...ports], this.port, { ...this.options, rocketmqPort });
  }

  /** SIGKILL and wait: a crash. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
    return this.closed;
  }
}

/** CPU seconds between two stats readings. */
export function cpuSecondsBetween(a: BrokerStats, b: BrokerStats): number {
  return (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1e6;
}
