// Sends plans over real connections, `concurrency` at a time, and checks
// each connection against its plan: every frame the codec reads answered in
// order with a response that decodes, and the connection closed by the
// broker exactly when a frame or the framing is bad. Anything else is a
// finding, recorded with the plan so it can be replayed.
import { connect } from 'node:net';
import { decodeResponse, type ApiKey } from '../../src/protocol/kafka/index.js';
import { FrameDecoder, MIN_RESPONSE_FRAME_BYTES } from '../../src/protocol/kafka/frame-decoder.js';
import type { Plan, Planner } from './plans.js';

export interface Finding {
  plan: number;
  problem: string;
  /** The connection's bytes as sent, hex, to replay by hand. */
  sent: string;
  mutations: string[];
}

export interface RunStats {
  plans: number;
  frames: number;
  answered: number;
  silent: number;
  fatal: number;
  longPolls: number;
  tails: number;
  closedByBroker: number;
  byMutation: Record<string, number>;
  byOutcome: Record<string, number>;
  findings: Finding[];
  seconds: number;
}

export interface RunOptions {
  host: string;
  port: number;
  frames: number;
  concurrency: number;
  /** A connection that neither finishes nor closes within this is a hang. */
  connectionDeadlineMs: number;
  /** Called every `progressEvery` plans (not awaited: it runs beside the fuzzing). */
  onProgress?: (stats: RunStats) => void;
  progressEvery?: number;
}

function prefixed(body: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/**
 * The connection's bytes in two writes: the frames the broker reads one by
 * one, then what breaks the framing (a frame too short for a header, or a
 * tail), sent once the first part is answered, since a framing error drops
 * whatever arrived with it unread.
 */
function wire(plan: Plan): { head: Buffer; end: Buffer | null; endClosesAtOnce: boolean } {
  const last = plan.frames[plan.frames.length - 1]!;
  const framing = last.expect.kind === 'framing';
  const head = Buffer.concat((framing ? plan.frames.slice(0, -1) : plan.frames).map((f) => prefixed(f.body)));
  if (framing) return { head, end: prefixed(last.body), endClosesAtOnce: true };
  if (plan.tail) return { head, end: plan.tail.bytes, endClosesAtOnce: plan.tail.closesAtOnce };
  return { head, end: null, endClosesAtOnce: false };
}

/** Runs one plan; resolves with a problem, or null when the broker did what it must. */
function runPlan(plan: Plan, o: RunOptions, stats: RunStats): Promise<string | null> {
  const expected = plan.frames.flatMap((f) => (f.expect.kind === 'answered' ? [f.expect] : []));
  const lastKind = plan.frames[plan.frames.length - 1]!.expect.kind;
  const { head, end, endClosesAtOnce } = wire(plan);
  // Whether the broker must close the connection by itself, and when it may.
  let mustClose = lastKind === 'fatal' || lastKind === 'decoderBug';
  return new Promise((resolve) => {
    const socket = connect(o.port, o.host);
    const decoder = new FrameDecoder(2 ** 31 - 1, MIN_RESPONSE_FRAME_BYTES);
    let settled = false;
    let hungUp = false;
    const finish = (problem: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(
      () => finish(expected.length > 0 ? `${expected.length} response(s) missing after ${o.connectionDeadlineMs} ms` : `not closed within ${o.connectionDeadlineMs} ms`),
      o.connectionDeadlineMs,
    );
    const allAnswered = (): void => {
      if (lastKind === 'longPoll') return finish(null);
      if (end) {
        socket.write(end);
        if (endClosesAtOnce) mustClose = true;
        else {
          // The broker now waits for the rest of a frame that will never come.
          hungUp = true;
          socket.end();
        }
        return;
      }
      if (!mustClose) finish(null);
    };
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return finish(`response framing: ${(err as Error).message}`);
      }
      for (const frame of frames) {
        const want = expected.shift();
        if (!want) return finish('a response to a frame that expects none');
        try {
          const r = decodeResponse(want.apiKey as ApiKey, want.apiVersion, frame);
          if (r.correlationId !== want.correlationId) return finish(`response for correlation id ${r.correlationId}, expected ${want.correlationId}`);
        } catch (err) {
          return finish(`response to api ${want.apiKey} v${want.apiVersion} does not decode: ${(err as Error).message}`);
        }
        stats.answered++;
        if (expected.length === 0) allAnswered();
      }
    });
    socket.on('close', () => {
      if (settled) return;
      if (!hungUp) stats.closedByBroker++;
      if (expected.length > 0) return finish(`closed with ${expected.length} response(s) outstanding`);
      if (!mustClose && !hungUp) return finish('closed by the broker after frames it should have accepted');
      finish(null);
    });
    socket.write(head);
    if (expected.length === 0) allAnswered();
  });
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export async function runFuzz(planner: Planner, o: RunOptions): Promise<RunStats> {
  const started = performance.now();
  const stats: RunStats = { plans: 0, frames: 0, answered: 0, silent: 0, fatal: 0, longPolls: 0, tails: 0, closedByBroker: 0, byMutation: {}, byOutcome: {}, findings: [], seconds: 0 };
  const every = o.progressEvery ?? 1000;
  const worker = async (): Promise<void> => {
    while (stats.frames < o.frames) {
      const plan = planner.next(o.frames - stats.frames);
      stats.plans++;
      stats.frames += plan.frames.length;
      for (const f of plan.frames) {
        count(stats.byMutation, f.mutation.replace(/\+flip$/, ''));
        const e = f.expect;
        count(stats.byOutcome, e.kind === 'fatal' ? `fatal ${e.reason}` : e.kind);
        if (e.kind === 'silent') stats.silent++;
        if (e.kind === 'fatal' || e.kind === 'decoderBug' || e.kind === 'framing') stats.fatal++;
        if (e.kind === 'longPoll') stats.longPolls++;
        if (e.kind === 'decoderBug') stats.findings.push(finding(plan, `the codec threw a non-protocol error: ${e.error}`));
      }
      if (plan.tail) {
        stats.tails++;
        count(stats.byOutcome, `tail ${plan.tail.name}`);
      }
      const problem = await runPlan(plan, o, stats);
      if (problem) stats.findings.push(finding(plan, problem));
      if (stats.plans % every === 0) o.onProgress?.(stats);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

function finding(plan: Plan, problem: string): Finding {
  const { head, end } = wire(plan);
  return { plan: plan.index, problem, sent: Buffer.concat(end ? [head, end] : [head]).toString('hex'), mutations: plan.frames.map((f) => f.mutation) };
}
