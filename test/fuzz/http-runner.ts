// Sends raw HTTP requests, each on its own connection: the request's bytes,
// then the client's half of the connection closed, then everything the
// server says until it closes its half. A request may be answered with any
// status below 500, or with none (a parser that gives up may just close);
// a 5xx means a bug surfaced, and a connection still open past the deadline
// means a request held the server.
import { connect } from 'node:net';

export interface Exchange {
  /** Every status line the server sent, in order (a mutated request may read as several). */
  statuses: number[];
  /** Null if the server closed; the problem otherwise. */
  problem: string | null;
}

export function exchange(port: number, bytes: Buffer, deadlineMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    const finish = (problem: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, problem });
    };
    const timer = setTimeout(() => finish(`still open after ${deadlineMs} ms`), deadlineMs);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => finish(null));
    s.end(bytes);
  });
}

export interface HttpRunStats {
  requests: number;
  byStatus: Record<string, number>;
  byMutation: Record<string, number>;
  findings: { request: number; mutation: string; problem: string; sent: string }[];
  seconds: number;
}

/** Runs `count` requests from `next`, `concurrency` at a time. */
export async function runHttpFuzz(port: number, count: number, concurrency: number, next: (n: number) => { bytes: Buffer; name: string }, deadlineMs: number): Promise<HttpRunStats> {
  const started = performance.now();
  const stats: HttpRunStats = { requests: 0, byStatus: {}, byMutation: {}, findings: [], seconds: 0 };
  const worker = async (): Promise<void> => {
    while (stats.requests < count) {
      const n = stats.requests++;
      const { bytes, name } = next(n);
      for (const m of name.split('+')) stats.byMutation[m] = (stats.byMutation[m] ?? 0) + 1;
      const e = await exchange(port, bytes, deadlineMs);
      const key = e.statuses.length === 0 ? 'closed without an answer' : String(e.statuses[0]);
      stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
      const problem = e.problem ?? (e.statuses.some((st) => st >= 500) ? `answered ${e.statuses.join(', ')}` : null);
      if (problem) stats.findings.push({ request: n, mutation: name, problem, sent: bytes.toString('latin1').slice(0, 2000) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}
