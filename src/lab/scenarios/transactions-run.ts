// The two halves of the transactions scenario on one engine: half + commit
// against plain sends with a window of requests in flight (a broker at the
// default settings), and check-back of transactions left open (a broker
// with transaction.timeout.ms and the check interval set small).
import type { LabContext } from '../context.js';
import { idOf, inFlight, RocketClient, rocketMessage, type Pb, type Received } from '../rocketmq-client.js';

export interface TxSizes {
  /** Messages per throughput run, after `warmup` unmeasured ones. */
  messages: number;
  warmup: number;
  window: number;
  bodyBytes: number;
  /** Transactions left open for check-back, sent evenly over checkSpreadMs. */
  open: number;
  checkSpreadMs: number;
  timeoutMs: number;
  checkIntervalMs: number;
}

export interface Throughput {
  seconds: number;
  /** Per message, from its SendMessage going out to its last answer (EndTransaction's, for half + commit), ms. */
  latency: number[];
}

export interface TxRun {
  engine: 'segmented' | 'commitlog';
  plain: Throughput;
  halfCommit: Throughput;
  /** Committed messages found by a consumer afterwards (of messages + warmup), and found twice. */
  committed: { sent: number; received: number; duplicated: number };
  check: {
    sent: number;
    /** From transaction.timeout.ms after the send went out to the check's arrival on Telemetry, ms. */
    delay: number[];
    /** From the COMMIT answer going out to a consumer receiving the message, ms. */
    visible: number[];
    /** The COMMIT answer's round trip (EndTransaction: the append and its op record), ms. */
    commit: number[];
    /** Checks that came for a transaction answered already (beyond the first). */
    repeated: number;
    duplicated: number;
  };
}

const GROUP = 'lab-transactions';
const ROUNDS = 6;

export async function txRun(ctx: LabContext, engine: TxRun['engine'], s: TxSizes): Promise<TxRun> {
  const body = Buffer.alloc(s.bodyBytes, 't');
  const { plain, halfCommit, committed } = await throughput(ctx, engine, s, body);
  return { engine, plain, halfCommit, committed, check: await checkBack(ctx, engine, s, body) };
}

async function throughput(ctx: LabContext, engine: TxRun['engine'], s: TxSizes, body: Buffer): Promise<Pick<TxRun, 'plain' | 'halfCommit' | 'committed'>> {
  const b = await ctx.startBroker({ engine, rocketmq: true });
  const c = new RocketClient(b.rocketmqEndpoint!);
  try {
    await ctx.admin(b, async (a) => {
      await a.createTopic('plain', 1);
      await a.createTopic('tx', 1, { 'message.type': 'TRANSACTION' });
    });
    const ids = new Set<string>();
    const plainOne = async (): Promise<void> => void (await c.send([rocketMessage('plain', 'NORMAL', body)]));
    const txOne = async (): Promise<void> => {
      const m = rocketMessage('tx', 'TRANSACTION', body);
      const [e] = await c.send([m]);
      await c.endTransaction(m, e!.transactionId, 'COMMIT');
      ids.add(idOf(m));
    };
    const plain: Throughput = { seconds: 0, latency: [] };
    const halfCommit: Throughput = { seconds: 0, latency: [] };
    const timed = async (into: Throughput, n: number, one: () => Promise<void>): Promise<void> => {
      into.seconds += await inFlight(n, s.window, async () => {
        const t = performance.now();
        await one();
        into.latency.push(performance.now() - t);
      });
    };
    ctx.progress(`transactions: ${engine}, warming up`);
    await inFlight(s.warmup, s.window, plainOne);
    await inFlight(s.warmup, s.window, txOne);
    // In alternating rounds (plain first, then half + commit first), so both meet the same machine: other work on it comes and goes.
    for (let round = 0; round < ROUNDS; round++) {
      const n = Math.floor(s.messages / ROUNDS) + (round < s.messages % ROUNDS ? 1 : 0);
      ctx.progress(`transactions: ${engine}, round ${round + 1} of ${ROUNDS}: ${n} plain sends and ${n} half + commit`);
      if (round % 2 === 0) {
        await timed(plain, n, plainOne);
        await timed(halfCommit, n, txOne);
      } else {
        await timed(halfCommit, n, txOne);
        await timed(plain, n, plainOne);
      }
    }
    ctx.progress(`transactions: ${engine}, reading the committed messages back`);
    const seen = new Map<string, number>();
    await c.receiveUntil({ group: GROUP, topic: 'tx' }, (r) => seen.set(idOf(r.message), (seen.get(idOf(r.message)) ?? 0) + 1), () => seen.size >= ids.size, Date.now() + 60_000);
    const received = [...ids].filter((id) => seen.has(id)).length;
    const duplicated = [...seen.values()].reduce((n, k) => n + k - 1, 0);
    return { plain, halfCommit, committed: { sent: ids.size, received, duplicated } };
  } finally {
    c.close();
    await ctx.stopBroker(b);
  }
}

async function checkBack(ctx: LabContext, engine: TxRun['engine'], s: TxSizes, body: Buffer): Promise<TxRun['check']> {
  const extra = ['--set', `transaction.timeout.ms=${s.timeoutMs}`, '--set', `transaction.check.interval.ms=${s.checkIntervalMs}`];
  const b = await ctx.startBroker({ engine, rocketmq: true, extra });
  const producer = new RocketClient(b.rocketmqEndpoint!);
  const consumer = new RocketClient(b.rocketmqEndpoint!);
  const sentAt = new Map<string, number>();
  const checkedAt = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  const answering: Promise<void>[] = [];
  const commit: number[] = [];
  let repeated = 0;
  const onCheck = (cmd: Pb, at: number): void => {
    const m: Pb = cmd.message;
    const id = idOf(m);
    if (checkedAt.has(id)) {
      repeated++;
      return;
    }
    checkedAt.set(id, at);
    const t = Date.now();
    answeredAt.set(id, t);
    answering.push(producer.endTransaction(m, cmd.transactionId, 'COMMIT', 'SOURCE_SERVER_CHECK').then(() => void commit.push(Date.now() - t)));
  };
  const telemetry = await producer.producerTelemetry(['tx-check'], onCheck);
  try {
    await ctx.admin(b, (a) => a.createTopic('tx-check', 1, { 'message.type': 'TRANSACTION' }));
    ctx.progress(`transactions: ${engine}, ${s.open} transactions left open for check-back`);
    const arrivals = new Map<string, Received[]>();
    const receiving = consumer.receiveUntil({ group: GROUP, topic: 'tx-check' }, (r) => arrivals.set(idOf(r.message), [...(arrivals.get(idOf(r.message)) ?? []), r]), () => arrivals.size >= s.open, Date.now() + s.checkSpreadMs + s.timeoutMs + 60_000);
    // Evenly over the spread, so the timeouts fall at every point of the broker's check tick.
    const t0 = Date.now();
    for (let i = 0; i < s.open; i++) {
      const due = t0 + Math.floor((i * s.checkSpreadMs) / s.open);
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const m = rocketMessage('tx-check', 'TRANSACTION', body);
      sentAt.set(idOf(m), Date.now());
      await producer.send([m]);
    }
    await receiving;
    await Promise.all(answering);
    const delay = [...checkedAt].map(([id, at]) => at - (sentAt.get(id)! + s.timeoutMs));
    const visible = [...arrivals].filter(([id]) => answeredAt.has(id)).map(([id, got]) => got[0]!.at - answeredAt.get(id)!);
    const duplicated = [...arrivals.values()].reduce((n, got) => n + got.length - 1, 0);
    return { sent: s.open, delay, visible, commit, repeated, duplicated };
  } finally {
    telemetry.close();
    producer.close();
    consumer.close();
    await ctx.stopBroker(b);
  }
}
