// Runs the protobuf-level fuzzing of the RocketMQ endpoint: seeded calls
// of every RPC (rocketmq-seeds.ts), each request mutated
// (protobuf-mutators.ts) or, now and then, sent as it was, over a few
// channels at once. What the server must do with each is decided here by
// decoding the mutated bytes with the same protobuf library: bytes past the
// receive limit end with RESOURCE_EXHAUSTED, bytes that do not decode are
// answered BAD_REQUEST, and everything is answered with responses that
// decode and carry RocketMQ statuses other than INTERNAL_ERROR. A call
// still open at its deadline is a finding too.
import * as grpc from '@grpc/grpc-js';
import type { Prng } from '../helpers/prng.js';
import { callRaw, openChannel, type CallResult } from './grpc-calls.js';
import { mutate } from './protobuf-mutators.js';
import { parseWire, schemaOf } from './protobuf-wire.js';
import { decode, encode, type Rpc } from './rocketmq-schema.js';
import { seedCall, type FuzzWorld } from './rocketmq-seeds.js';

export interface GrpcFuzzOptions {
  target: string;
  calls: number;
  concurrency: number;
  channels: number;
  /** The server's receive limit, bytes. */
  maxReceiveBytes: number;
  /** Share of requests sent unmutated. */
  validShare: number;
  /** A call's deadline: this, plus `deadlinePerMiBMs` for each MiB it sends (big messages cross HTTP/2's 64 KiB windows slowly on a busy machine). */
  deadlineMs: number;
  deadlinePerMiBMs: number;
  progressEvery: number;
  onProgress: () => void;
}

export interface GrpcFinding {
  call: number;
  rpc: string;
  mutations: string[];
  problem: string;
  /** The request bytes (each message of the call), base64, cut at 64 KiB each. */
  sent: { length: number; base64: string }[];
  clientId: string;
  /** Which channel it went on, and when it began (ms into the run). */
  channel: number;
  startedMs: number;
}

export interface GrpcRunStats {
  calls: number;
  seconds: number;
  byRpc: Record<string, number>;
  byMutation: Record<string, number>;
  /** How calls ended: "rocketmq CODE" for an answer's status, "grpc CODE" for a gRPC status. */
  byOutcome: Record<string, number>;
  slowestMs: number;
  /** The slowest calls: what they were. */
  slowest: string[];
  /** Time spent building, mutating and judging requests in this process (not waiting). */
  buildMs: number;
  findings: GrpcFinding[];
}

type Expect = { kind: 'answer' } | { kind: 'undecodable'; error: string } | { kind: 'tooLarge' };



/* eslint-disable @typescript-eslint/no-explicit-any -- decoded proto objects */
type Pb = Record<string, any>;

function expectationOf(rpc: Rpc, bytes: Buffer, maxReceiveBytes: number): Expect {
  if (bytes.length > maxReceiveBytes) return { kind: 'tooLarge' };
  try {
    rpc.request.decode(bytes);
    return { kind: 'answer' };
  } catch (err) {
    return { kind: 'undecodable', error: (err as Error).message };
  }
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Receipt handles, recall handles and transaction ids the broker answered with: later seeds use them. */
function harvest(world: FuzzWorld, rpc: Rpc, responses: Pb[], n: number): void {
  const keep = <T>(list: T[], item: T): void => {
    if (list.length < 256) list.push(item);
    else list[n % 256] = item;
  };
  for (const r of responses) {
    if (rpc.name === 'ReceiveMessage' && r.message?.systemProperties?.receiptHandle) {
      const sp = r.message.systemProperties;
      keep(world.receiptHandles, { topic: String(r.message.topic?.name ?? ''), group: world.groups[n % world.groups.length]!, messageId: String(sp.messageId), handle: String(sp.receiptHandle) });
    }
    if (rpc.name === 'SendMessage') {
      for (const e of (r.entries ?? []) as Pb[]) {
        if (e.recallHandle) keep(world.recallHandles, { topic: world.topics.find((t) => t.type === 'DELAY')!.name, handle: String(e.recallHandle) });
        if (e.transactionId) keep(world.transactions, { topic: world.topics.find((t) => t.type === 'TRANSACTION')!.name, messageId: String(e.messageId), transactionId: String(e.transactionId) });
      }
    }
  }
}

/** Why a call's end is wrong for what was sent, or null. */
/** The long polling a ReceiveMessage or PullMessage asks for (20 s if it does not say), or 0 if it does not decode. */
function longPollMs(rpc: Rpc, bytes: Buffer): number {
  try {
    const r = decode(rpc.request, bytes);
    if (!r.longPollingTimeout) return 20_000;
    return Number(r.longPollingTimeout.seconds) * 1000 + Math.floor(Number(r.longPollingTimeout.nanos) / 1e6);
  } catch {
    return 0;
  }
}

function judge(rpc: Rpc, sent: readonly Buffer[], maxReceiveBytes: number, deadlineMs: number, res: CallResult): { outcome: string; problem: string | null; decoded: Pb[] } {
  const decoded: Pb[] = [];
  for (const b of res.responses) {
    try {
      decoded.push(decode(rpc.response, b));
    } catch (err) {
      return { outcome: 'undecodable answer', problem: `an answer does not decode as ${rpc.response.name}: ${(err as Error).message}`, decoded };
    }
  }
  const statuses = decoded.map((d) => d.status).filter((s) => s !== null && s !== undefined);
  const undecoded = statuses.find((st) => st.code === 'BAD_REQUEST' && String(st.message).startsWith('the request does not decode'));
  const outcome = res.code !== grpc.status.OK ? `grpc ${grpc.status[res.code]}` : undecoded ? 'rocketmq BAD_REQUEST (does not decode)' : `rocketmq ${statuses[0]?.code ?? 'none'}`;
  const internal = statuses.find((s) => s.code === 'INTERNAL_ERROR' || s.code === 'CODE_UNSPECIFIED');
  if (internal) return { outcome, problem: `answered ${internal.code}: ${internal.message}`, decoded };
  if (res.code === grpc.status.DEADLINE_EXCEEDED) {
    // A receive or pull asked to long-poll past its deadline is answered 200 ms before it (polling.ts): on a busy machine that answer may lose the race.
    if ((rpc.name === 'ReceiveMessage' || rpc.name === 'PullMessage') && longPollMs(rpc, sent[0]!) >= deadlineMs - 1000) return { outcome: `${outcome} (long poll to the deadline)`, problem: null, decoded };
    return { outcome, problem: `still open at its deadline (${res.ms.toFixed(0)} ms)`, decoded };
  }
  // The first message the server cannot take decides how the call ends; those before it are answered.
  const tooLarge = sent.some((b) => b.length > maxReceiveBytes);
  if (tooLarge) {
    return { outcome, problem: res.code === grpc.status.RESOURCE_EXHAUSTED ? null : `a message over the receive limit ended with ${outcome} (${res.details}), not RESOURCE_EXHAUSTED`, decoded };
  }
  // A message that does not decode is answered BAD_REQUEST (NOT_IMPLEMENTED by the RPCs not served), and only such a one.
  const saidUndecodable = undecoded !== undefined;
  if (saidUndecodable || res.code !== grpc.status.OK) {
    const bad = sent.map((b) => expectationOf(rpc, b, maxReceiveBytes)).find((e) => e.kind !== 'answer');
    if (saidUndecodable && !bad) return { outcome, problem: 'answered that a request does not decode, though it does', decoded };
    if (bad && res.code === grpc.status.OK && !saidUndecodable && !statuses.some((st) => st.code === 'NOT_IMPLEMENTED')) {
      return { outcome, problem: `a message that does not decode (${(bad as { error: string }).error}) was not answered BAD_REQUEST`, decoded };
    }
  }
  if (res.code !== grpc.status.OK) return { outcome, problem: `ended with ${outcome}: ${res.details}`, decoded };
  if (rpc.kind === 'unary' && (decoded.length !== 1 || !decoded[0]!.status)) return { outcome, problem: `${decoded.length} answers, or one without a status`, decoded };
  if (rpc.kind === 'serverStream' && !decoded[0]?.status) return { outcome, problem: 'the stream did not begin with a status', decoded };
  return { outcome, problem: null, decoded };
}

export async function runGrpcFuzz(rng: Prng, world: FuzzWorld, o: GrpcFuzzOptions): Promise<GrpcRunStats> {
  const started = performance.now();
  // One channel compresses what it sends: the server decompresses within its limit too.
  const channels = Array.from({ length: o.channels }, (_, i) => openChannel(o.target, i === 0));
  const stats: GrpcRunStats = { calls: 0, seconds: 0, byRpc: {}, byMutation: {}, byOutcome: {}, slowestMs: 0, slowest: [], buildMs: 0, findings: [] };
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    while (next < o.calls) {
      const n = next++;
      const t0 = performance.now();
      const seed = seedCall(rng, world);
      const mutations: string[] = [];
      const requests = seed.requests.map((req) => {
        const valid = encode(seed.rpc.request, req);
        if (rng.chance(o.validShare)) return valid;
        const m = mutate(rng, parseWire(valid, schemaOf(seed.rpc.request)), { maxReceiveBytes: o.maxReceiveBytes });
        mutations.push(...m.mutations);
        return m.bytes;
      });
      if (mutations.length === 0) mutations.push('valid');
      bump(stats.byRpc, seed.rpc.name);
      for (const m of new Set(mutations)) bump(stats.byMutation, m);
      stats.buildMs += performance.now() - t0;
      const startedMs = performance.now() - started;
      const sentBytes = requests.reduce((a, b) => a + b.length, 0);
      const deadlineMs = o.deadlineMs + (o.deadlinePerMiBMs * sentBytes) / (1 << 20);
      const res = await callRaw(channels[w % channels.length]!, seed.rpc.path, seed.rpc.kind, requests, seed.clientId, deadlineMs);
      stats.slowestMs = Math.max(stats.slowestMs, res.ms);
      if (res.ms > 1000) stats.slowest.push(`call ${n} ${seed.rpc.name} [${mutations.join('+')}] ${requests.map((b) => b.length).join(',')} bytes on channel ${w % channels.length}, from ${startedMs.toFixed(0)} ms for ${res.ms.toFixed(0)} ms: ${grpc.status[res.code]}`);
      const t1 = performance.now();
      const { outcome, problem, decoded } = judge(seed.rpc, requests, o.maxReceiveBytes, deadlineMs, res);
      stats.buildMs += performance.now() - t1;
      bump(stats.byOutcome, outcome);
      harvest(world, seed.rpc, decoded, n);
      if (problem) {
        stats.findings.push({ call: n, rpc: seed.rpc.name, mutations, problem, clientId: seed.clientId, channel: w % channels.length, startedMs, sent: requests.map((b) => ({ length: b.length, base64: b.subarray(0, 65_536).toString('base64') })) });
      }
      if (++stats.calls % o.progressEvery === 0) o.onProgress();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  for (const c of channels) c.close();
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}
