// The protocols scenario's report (src/lab/scenarios/protocols-report.ts)
// from runs given to it: the verdict takes the ratio of each pair's
// medians over the repetitions, and a note gives the pairs' ratios
// repetition by repetition, which the machine's load moves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabContext } from '../src/lab/context.js';
import { OVERLAPPED, PAIRS, PULLED, report } from '../src/lab/scenarios/protocols-report.js';
import type { Measured } from '../src/lab/scenarios/protocols-runs.js';
import { tempDir } from './helpers/files.js';

const SETTINGS = { valueBytes: 1024, single: 100, batched: 200, warmUp: 10, warmUpBatched: 20, official: 0, probes: 0, window: 64, receiveBatch: 32, receiveLoops: 4, batchedPerRequest: 16, receiveRounds: 1 };

function run(engine: string, protocol: 'Kafka' | 'RocketMQ', pair: string, rep: number, us: number): Measured {
  const direction = pair.startsWith('send') ? 'send' : 'receive';
  return { engine, protocol, direction, client: protocol === 'Kafka' ? 'load tool' : 'lean gRPC', shape: pair, pair, rep, messages: 1000, requests: 100, seconds: 1, brokerUsPerMessage: us, clientUsPerMessage: 1, markCompacts: 0, integrity: null };
}

describe('protocols report', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('judges the ratio of medians, and notes each pair\'s ratios repetition by repetition', () => {
    const runs: Measured[] = [];
    // Kafka 2, 3, 4 µs over the repetitions; RocketMQ 5, 5, 6: medians 3 and 5 (1.67×), per repetition 2.5×, 1.67×, 1.5×.
    for (const engine of ['segmented', 'commitlog']) {
      for (const p of PAIRS) {
        [2, 3, 4].forEach((us, rep) => runs.push(run(engine, 'Kafka', p.key, rep, us)));
        [5, 5, 6].forEach((us, rep) => runs.push(run(engine, 'RocketMQ', p.key, rep, us)));
      }
    }
    // The official client's runs are shown, not judged: a dear one (listed first) moves neither the verdict nor the chart.
    runs.unshift({ ...run('segmented', 'RocketMQ', 'receive 16', 0, 50), client: 'official client' });
    const out = report(new LabContext(tmp.dir, 'full', null), runs, [], [], SETTINGS);
    expect(out.verdict.held).toBe(true);
    expect(out.verdict.measured).toContain('16 per batch 1.67×/1.67×');
    const cpu = out.charts!.find((c) => c.id === 'protocols-cpu') as { series: { label: string; values: number[] }[] };
    expect(cpu.series.map((x) => [x.label, x.values])).toEqual(['segmented', 'commitlog'].flatMap((e) => [[`Kafka · ${e}`, PAIRS.map(() => 3)], [`RocketMQ · ${e}`, PAIRS.map(() => 5)]]));
    const note = out.notes!.find((n) => n.startsWith('Repetition by repetition'));
    expect(note).toContain('receive, from 16-message batches 1.50–2.50× / 1.50–2.50×');
    // One repetition's RocketMQ receive dearer: the median, and so the verdict, stays; the note shows it.
    runs.find((r) => r.engine === 'segmented' && r.protocol === 'RocketMQ' && r.pair === 'receive 16' && r.rep === 2)!.brokerUsPerMessage = 9;
    const worse = report(new LabContext(tmp.dir, 'full', null), runs, [], [], SETTINGS);
    expect(worse.verdict.measured).toContain('16 per batch 1.67×/1.67×');
    expect(worse.notes!.find((n) => n.startsWith('Repetition by repetition'))).toContain('receive, from 16-message batches 1.67–2.50× / 1.50–2.50×');
  });

  it('says how much of a receive pair that fails is per-message work: its gap per receive less two empty calls', () => {
    const runs: Measured[] = [];
    for (const engine of ['segmented', 'commitlog']) {
      for (const p of PAIRS) {
        runs.push(run(engine, 'Kafka', p.key, 0, 2));
        // The segmented engine's receives from 16-message batches fail: 6 µs a message against 2.
        runs.push(run(engine, 'RocketMQ', p.key, 0, engine === 'segmented' && p.key === 'receive 16' ? 6 : 3));
      }
      runs.push({ ...run(engine, 'RocketMQ', 'call', 0, 8), direction: 'call', pair: null, shape: 'Heartbeat' });
    }
    const out = report(new LabContext(tmp.dir, 'quick', null), runs, [], [], SETTINGS);
    expect(out.verdict.held).toBe(false);
    // (6 − 2) × 32 = 128 µs a receive; two calls 16 µs; (128 − 16) / 32 = 3.5 µs a message.
    expect(out.verdict.summary).toContain("That pair's gap is 128 µs of broker CPU per 32-message receive with its ack (RocketMQ 6.0 µs a message, Kafka 2.0); two empty calls cost 16 µs (Heartbeat), so at least 3.5 µs a message of it is work per message");
  });

  it('shows the receives with acks alongside the next receive against the same fetch, in the table and a note, without judging them', () => {
    const runs: Measured[] = [];
    for (const engine of ['segmented', 'commitlog']) {
      for (const p of PAIRS) {
        runs.push(run(engine, 'Kafka', p.key, 0, 2));
        runs.push(run(engine, 'RocketMQ', p.key, 0, p.direction === 'receive' ? 5 : 3));
        // Cheaper than the judged receive: it would pass where the judged one fails, and must not change the verdict.
        if (p.direction === 'receive') runs.push({ ...run(engine, 'RocketMQ', p.key, 0, 3), client: OVERLAPPED, shape: `${p.key}, alongside` });
      }
    }
    const out = report(new LabContext(tmp.dir, 'quick', null), runs, [], [], SETTINGS);
    expect(out.verdict.held).toBe(false);
    expect(out.verdict.measured).toContain('receive 1 per batch 2.50×/2.50×');
    const rows = out.tables![0]!.rows.filter((r) => r[3] === OVERLAPPED);
    expect(rows.map((r) => [r[0], r[4], r[11]])).toEqual(['segmented', 'commitlog'].flatMap((e) => [[e, 'receive 1, alongside', '1.50×'], [e, 'receive 16, alongside', '1.50×']]));
    const note = out.notes!.find((n) => n.startsWith('With each AckMessage sent alongside'));
    expect(note).toContain('segmented receive 16: 1.50× (3.0 µs a message); commitlog receive 1: 1.50×');
  });

  it('shows the pulls against the same fetch and the judged receive, in the table and a note, without judging them', () => {
    const runs: Measured[] = [];
    for (const engine of ['segmented', 'commitlog']) {
      for (const p of PAIRS) {
        runs.push(run(engine, 'Kafka', p.key, 0, 2));
        runs.push(run(engine, 'RocketMQ', p.key, 0, p.direction === 'receive' ? 5 : 3));
        if (p.direction === 'receive') runs.push({ ...run(engine, 'RocketMQ', p.key, 0, 2.5), client: PULLED, shape: `${p.key}, pulled` });
      }
    }
    const out = report(new LabContext(tmp.dir, 'quick', null), runs, [], [], SETTINGS);
    expect(out.verdict.held).toBe(false);
    const rows = out.tables![0]!.rows.filter((r) => r[3] === PULLED);
    expect(rows.map((r) => [r[0], r[4], r[11]])).toEqual(['segmented', 'commitlog'].flatMap((e) => [[e, 'receive 1, pulled', '1.25×'], [e, 'receive 16, pulled', '1.25×']]));
    const note = out.notes!.find((n) => n.startsWith('Pulled instead'));
    expect(note).toContain('segmented receive 1: 1.25× (2.5 µs a message, against 5.0 received and acked)');
  });

  it("sets the judged receives' client CPU beside each other", () => {
    const runs: Measured[] = [];
    for (const engine of ['segmented', 'commitlog']) {
      for (const p of PAIRS) {
        runs.push({ ...run(engine, 'Kafka', p.key, 0, 2), clientUsPerMessage: 2.5 });
        runs.push({ ...run(engine, 'RocketMQ', p.key, 0, 3), clientUsPerMessage: engine === 'segmented' ? 4 : 3 });
      }
    }
    const out = report(new LabContext(tmp.dir, 'quick', null), runs, [], [], SETTINGS);
    const note = out.notes!.find((n) => n.startsWith("The clients' own CPU a message"));
    expect(note).toContain('segmented receive 1: 4.0 against 2.5; segmented receive 16: 4.0 against 2.5; commitlog receive 1: 3.0 against 2.5; commitlog receive 16: 3.0 against 2.5 µs');
  });

  it('takes the medians of every round of every repetition, pairs each round with its own Kafka run in the note, and says how it measured', () => {
    const runs: Measured[] = [];
    // Two repetitions of three rounds; a receive's RocketMQ run 2× its round's Kafka run, but the machine's pace moves both: Kafka 1, 2, 3 µs over the rounds.
    for (const engine of ['segmented', 'commitlog']) {
      for (const p of PAIRS) {
        for (const rep of [0, 1]) {
          if (p.direction === 'send') {
            runs.push(run(engine, 'Kafka', p.key, rep, 2), run(engine, 'RocketMQ', p.key, rep, 3));
            continue;
          }
          for (const round of [1, 2, 3]) runs.push({ ...run(engine, 'Kafka', p.key, rep, round), round }, { ...run(engine, 'RocketMQ', p.key, rep, 2 * round), round });
        }
      }
    }
    const out = report(new LabContext(tmp.dir, 'full', null), runs, [], [], { ...SETTINGS, receiveRounds: 3 });
    expect(out.verdict.measured).toContain('receive 1 per batch 2.00×/2.00×');
    expect(out.tables![0]!.caption).toContain('Medians of 3 run(s) (of receives, 9: 3 rounds a run)');
    // Paired by round, every ratio is 2×; paired with the repetition's first Kafka run, they would read 2–6×.
    const note = out.notes!.find((n) => n.startsWith('Repetition by repetition, a receive round by round'));
    expect(note).toContain('receive, from 1-message batches 2.00–2.00× / 2.00–2.00×');
    expect(out.notes!.some((n) => n.startsWith('Each measured receive run reads the stored messages 3 times'))).toBe(true);
    // One round: no such note.
    expect(report(new LabContext(tmp.dir, 'full', null), runs, [], [], SETTINGS).notes!.some((n) => n.startsWith('Each measured receive run'))).toBe(false);
  });
});
