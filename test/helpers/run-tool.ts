// Runs a command-line client (kcat, a Python client) to completion with
// `stdin`, bounded by spawn's own timeout (SIGKILL past it, reported as a
// timeout), and gives back its exit code and output.
import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env`: variables added to this process's environment for the command. */
export function runTool(cmd: string, args: readonly string[], stdin = '', timeoutMs = 60_000, env: Record<string, string> = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString();
      if (signal === 'SIGKILL' && code === null) return reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      resolve({ code, stdout: Buffer.concat(out).toString('latin1'), stderr });
    });
    child.stdin.end(stdin, 'latin1');
  });
}

/** As runTool, failing unless the command exits 0. */
export async function runToolOk(cmd: string, args: readonly string[], stdin = '', timeoutMs = 60_000, env: Record<string, string> = {}): Promise<ToolResult> {
  const r = await runTool(cmd, args, stdin, timeoutMs, env);
  if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}; stderr: ${r.stderr.slice(-2000)}`);
  return r;
}
