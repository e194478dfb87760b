// The C reference (xfer-ref.c): built on demand, used as the shared loopback
// sink and as the kernel-only baseline sender.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export interface RefResult {
  strategy: string;
  size: number;
  count: number;
  bytes: number;
  seconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  syscalls: Record<string, number>;
}

export function buildReference(root: string): string {
  const src = join(root, 'bench', 'transfer', 'xfer-ref.c');
  const bin = join(root, 'build', 'xfer-ref');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  mkdirSync(join(root, 'build'), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-o', bin, src, '-lpthread'], { stdio: 'inherit' });
  if (cc.status !== 0) throw new Error('building the C reference failed (is a C compiler installed?)');
  return bin;
}

export class Sink {
  private constructor(private readonly child: ChildProcess, readonly port: number) {}

  static async start(bin: string): Promise<Sink> {
    // stdin stays a pipe: the sink exits when it closes.
    const child = spawn(bin, ['sink'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sink exited early (${code})`)));
      lines.once('line', (l) => {
        const m = /^PORT (\d+)$/.exec(l);
        if (m) resolve(Number(m[1]));
        else reject(new Error(`unexpected sink output: ${l}`));
      });
    });
    return new Sink(child, port);
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGTERM'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

export function runReference(bin: string, port: number, file: string, strategy: string, size: number, count: number): RefResult {
  const r = spawnSync(bin, ['send', '--port', String(port), '--file', file, '--strategy', strategy, '--size', String(size), '--count', String(count)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`xfer-ref send failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as RefResult;
}
