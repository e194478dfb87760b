// A broker in its own process (`mqlab serve`), so the load generator's CPU
// is not counted as the broker's and the broker's can be read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/addon.js';

export interface ChildBroker {
  pid: number;
  host: string;
  port: number;
  stop(): Promise<void>;
}

export async function startChildBroker(args: string[]): Promise<ChildBroker> {
  const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const child: ChildProcess = spawn(process.execPath, [cli, 'serve', '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on ([\d.]+):(\d+)/.exec(out);
      if (m) resolve(`${m[1]}:${m[2]}`);
    });
    child.once('exit', (code) => reject(new Error(`mqlab serve exited with ${code} before listening`)));
  });
  const [host, port] = address.split(':');
  return {
    pid: child.pid!,
    host: host!,
    port: Number(port),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
