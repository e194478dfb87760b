// A peer server the lab starts itself: one process (and whatever it forks)
// on free loopback ports with a fresh data directory and a config file of
// its own, ready when it prints its readiness line and accepts a
// connection, stopped by the pid the lab spawned (SIGTERM, then SIGKILL
// after a bound). Its CPU time is read from /proc for the process and all
// its descendants, so a server that forks (RabbitMQ's beam under a shell
// script, ActiveMQ's JVM) is counted whole.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { DriverEndpoint } from '../driver.js';

export interface PeerServer {
  readonly system: string;
  readonly pid: number;
  readonly endpoint: DriverEndpoint;
  /** The server's version as it reported it ("RabbitMQ 3.10.8"), or "". */
  readonly version: string;
  /** From spawn to ready. */
  readonly startupMs: number;
  /** CPU seconds (user + system) of the server's process tree so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface SpawnSpec {
  system: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The port the server is ready on once it accepts a TCP connection there. */
  port: number;
  /** A line in stdout or stderr that means the server is ready. */
  ready: RegExp;
  /** Picks the version out of the output seen up to readiness. */
  version?: RegExp;
  /** How long startup may take (a JVM or an Erlang VM starts slowly). */
  startTimeoutMs?: number;
  /** How long a SIGTERM may take before SIGKILL. */
  stopTimeoutMs?: number;
}

/** A TCP port free on 127.0.0.1 now (the OS's choice of an ephemeral one). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The path of an executable on PATH (or an absolute path that exists), or null. */
export function which(command: string): string | null {
  if (command.startsWith('/')) return existsSync(command) ? command : null;
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').concat('/usr/sbin', '/sbin')) {
    const p = `${dir}/${command}`;
    if (existsSync(p)) return p;
  }
  return null;
}

let ticks = 0;
function clockTicks(): number {
  if (!ticks) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime + (cutime + cstime: reaped children) of one process, in ticks; [ppid, ticks]. */
function statOf(pid: number): [number, number] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; fields follow the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return [Number(f[1]), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])];
  } catch {
    return null;
  }
}

/** Every live process's parent and CPU ticks, read once from /proc. */
function processTable(): { children: Map<number, number[]>; ticks: Map<number, number> } {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const s = statOf(pid);
    if (!s) continue;
    ticks.set(pid, s[1]);
    children.set(s[0], [...(children.get(s[0]) ?? []), pid]);
  }
  return { children, ticks };
}

/** Pids of `root` and its live descendants. */
function tree(root: number, children = processTable().children): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds of `root` and every live descendant (reaped ones count through their parent's cutime/cstime). */
export function treeCpuSeconds(root: number): number {
  const { children, ticks } = processTable();
  return tree(root, children).reduce((n, pid) => n + (ticks.get(pid) ?? 0), 0) / clockTicks();
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts a server and resolves once it is ready; rejects with its output if it exits or times out first. */
export async function startServer(spec: SpawnSpec): Promise<PeerServer> {
  const started = performance.now();
  const child: ChildProcess = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let output = '';
  const onData = (d: Buffer): void => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const stopTree = async (): Promise<void> => {
    // The lab's own process and what it forked: each by pid, children first seen now.
    const pids = child.pid ? tree(child.pid) : [];
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    const timer = setTimeout(() => {
      for (const pid of child.pid ? tree(child.pid) : pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, spec.stopTimeoutMs ?? 15_000);
    await closed;
    clearTimeout(timer);
    // Descendants that outlived the parent (a daemonised VM) are ended too.
    for (const pid of pids) {
      try {
        process.kill(pid, 0);
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`${spec.system} did not become ready within ${(spec.startTimeoutMs ?? 60_000) / 1000} s`)), spec.startTimeoutMs ?? 60_000);
      const exited = (code: number | null): void => {
        clearTimeout(timeout);
        reject(new Error(`${spec.system} exited with ${code} before it was ready`));
      };
      child.once('exit', exited);
      child.once('error', (err) => {
        clearTimeout(timeout);
        reject(err);
      });
      const check = async (): Promise<void> => {
        if (!spec.ready.test(output)) return;
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        // The readiness line can come a moment before the listener accepts.
        for (let i = 0; i < 100 && !(await accepts(spec.port)); i++) await new Promise((r) => setTimeout(r, 50));
        clearTimeout(timeout);
        child.off('exit', exited);
        resolve();
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
    });
  } catch (err) {
    await stopTree();
    throw new Error(`${(err as Error).message}\n${output.trim().split('\n').slice(-15).join('\n')}`);
  }
  const version = spec.version?.exec(output)?.[1] ?? '';
  return {
    system: spec.system,
    pid: child.pid!,
    endpoint: { host: '127.0.0.1', port: spec.port },
    version,
    startupMs: performance.now() - started,
    cpuSeconds: () => treeCpuSeconds(child.pid!),
    stop: stopTree,
  };
}

/** How the lab starts one installed system. */
export interface ServerSpec {
  system: string;
  /** The Debian package(s) and the line that installs them. */
  apt: string;
  /** The executable whose presence means installed. */
  installed(): boolean;
  /**
   * Starts a fresh server in `dataDir` (absolute, created empty by the caller) for
   * this persistence mode: a mode that is a server setting (Redis's
   * appendfsync) goes into its config file; one that is per queue or
   * message is the driver's.
   */
  start(dataDir: string, mode: string): Promise<PeerServer>;
}
