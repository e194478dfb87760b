// The peers comparison's figures: the measured table beside the notes',
// the verdicts on the notes' two claims (the throughput order and what
// persistence costs), charts, and each run's integrity.
import type { LatencySummary } from '../../client/load/histogram.js';
import type { PeerRun } from '../peers/run-system.js';
import { NOTES_TABLE, type NotesRow } from '../peers/systems.js';
import type { BarChart, IntegrityCheck, LatencyChart, ResultTable, Verdict } from '../results.js';
import { fmt } from './common.js';

const ORDER: NotesRow[] = ['ActiveMQ', 'RabbitMQ', 'RocketMQ', 'Kafka'];
/** The mode that is each system's persistent default: what the notes' table measured. */
export const PERSISTENT = 'on';
/** A run in the persistent default: mode "on", or an external cluster as it is configured. */
const persistent = (r: PeerRun): boolean => r.mode === PERSISTENT || r.external;

export const produceRate = (r: PeerRun): number => (r.outcome ? r.outcome.flatOut.published / r.outcome.flatOut.seconds : NaN);
export const consumeRate = (r: PeerRun): number => (r.outcome ? r.outcome.flatOut.received / r.outcome.flatOut.totalSeconds : NaN);
const at = (s: LatencySummary, p: number): number => s.percentiles.find((x) => x.percentile === p)?.ms ?? NaN;
const ms = (v: number): string => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : fmt(v)) : '—');
const who = (r: PeerRun): string => `${r.label} (${r.client})`;

export function measuredTable(runs: PeerRun[], missing: { label: string; apt: string }[]): ResultTable {
  const rows: ResultTable['rows'] = runs.map((r) => {
    if (!r.outcome) return [r.label, r.client, r.mode, `failed: ${r.error ?? 'unknown'}`, '', '', '', '', '', '', '', '', '', ''];
    const o = r.outcome;
    const f = o.flatOut;
    const e = o.paced.endToEnd;
    const per = (s: number | null): string => (s === null ? 'n/a' : fmt((s * 1e6) / Math.max(1, f.published), 1));
    const integrity = o.integrity.reduce((a, i) => ({ lost: a.lost + i.lost, dup: a.dup + i.duplicated }), { lost: 0, dup: 0 });
    return [r.label, r.client, r.mode, fmt(produceRate(r)), fmt(consumeRate(r)), `${fmt(o.paced.published / o.paced.seconds)} of ${fmt(o.rate)}`, ms(at(e, 50)), ms(at(e, 99)), ms(at(e, 99.9)), ms(e.maxMs), per(f.cpu.broker), per(f.cpu.client), integrity.lost, integrity.dup];
  });
  for (const m of missing) rows.push([m.label, '', 'not installed', `install: ${m.apt}`, '', '', '', '', '', '', '', '', '', '']);
  return {
    title: 'Every system under the same workload',
    caption: 'Produce and consume: flat out, consumers running, msg/s. End-to-end latency (payload stamp to consumer callback, one clock) at the paced rate, ms. CPU per message produced over the flat-out phase, µs: the broker\'s process tree and the lab process (all clients), which share this machine\'s cores. What each persistence mode means for each system is in the notes below.',
    columns: ['system', 'client', 'persistence', 'produce msg/s', 'consume msg/s', 'paced msg/s', 'e2e p50', 'p99', 'p99.9', 'max', 'broker CPU µs/msg', 'client CPU µs/msg', 'lost', 'duplicated'],
    rows,
  };
}

/** The fastest persistent run answering to each row of the notes' table. */
export function bestByRow(runs: PeerRun[]): Map<NotesRow, PeerRun> {
  const out = new Map<NotesRow, PeerRun>();
  for (const r of runs) {
    if (!r.outcome || !r.notesRow || !persistent(r)) continue;
    const best = out.get(r.notesRow);
    if (!best || produceRate(r) > produceRate(best)) out.set(r.notesRow, r);
  }
  return out;
}

export function notesTable(runs: PeerRun[]): ResultTable {
  const best = bestByRow(runs);
  const base = best.get('ActiveMQ');
  const rows: ResultTable['rows'] = ORDER.map((row) => {
    const r = best.get(row);
    const notesRatio = NOTES_TABLE[row] / NOTES_TABLE.ActiveMQ;
    if (!r) return [row, fmt(NOTES_TABLE[row]), fmt(notesRatio, 1), 'not measured', '', '', ''];
    const rate = produceRate(r);
    return [row, fmt(NOTES_TABLE[row]), fmt(notesRatio, 1), who(r), fmt(rate), base ? fmt(rate / produceRate(base), 1) : '—', (rate / NOTES_TABLE[row]).toFixed(2)];
  });
  return {
    title: 'The notes\' table beside the measured one',
    caption: 'Single-node throughput, msg/s, each system persistent (its default durable mode). Ratios are to ActiveMQ. RocketMQ and Kafka rows are mqlab in their shapes unless an external target was given.',
    columns: ['system', 'notes msg/s', 'notes × ActiveMQ', 'measured as', 'measured msg/s', 'measured × ActiveMQ', 'measured / notes'],
    rows,
  };
}

/** On against off per system that has both: what persistence costs it. */
export function persistenceCost(runs: PeerRun[]): { system: string; row: NotesRow | null; ratio: number; on: number; off: number }[] {
  const bySystem = new Map<string, PeerRun[]>();
  for (const r of runs) if (r.outcome) bySystem.set(r.system, [...(bySystem.get(r.system) ?? []), r]);
  const out: ReturnType<typeof persistenceCost> = [];
  for (const rs of bySystem.values()) {
    const on = rs.find((r) => r.mode === PERSISTENT);
    const off = rs.find((r) => r.mode === 'off');
    if (on && off) out.push({ system: on.label, row: on.notesRow, on: produceRate(on), off: produceRate(off), ratio: produceRate(on) / produceRate(off) });
  }
  return out;
}

export function peersVerdict(runs: PeerRun[]): Verdict {
  const best = bestByRow(runs);
  const present = ORDER.filter((r) => best.has(r));
  if (present.length < 2) {
    return { held: null, measured: `${present.length} of the notes' four systems measured`, summary: 'Too few of ActiveMQ, RabbitMQ, RocketMQ and Kafka ran to test the order (see "not installed" rows for what to install).' };
  }
  const rates = present.map((r) => produceRate(best.get(r)!));
  const ordered = rates.every((v, i) => i === 0 || v > rates[i - 1]!);
  const chain = present.map((r, i) => `${r} ${fmt(rates[i]!)}`).join(ordered ? ' < ' : ', ');
  const costs = persistenceCost(runs);
  const classic = costs.filter((c) => c.row === 'ActiveMQ' || c.row === 'RabbitMQ');
  // "Built on persistence": the log-based systems, persistent, still outrun the classic brokers with persistence off.
  const logBased = present.filter((r) => r === 'RocketMQ' || r === 'Kafka').map((r) => ({ row: r, rate: produceRate(best.get(r)!) }));
  const bestOff = classic.length ? classic.reduce((a, c) => (c.off > a.off ? c : a)) : null;
  const costly = classic.every((c) => c.ratio < 0.8);
  const slowLogs = bestOff ? logBased.filter((l) => l.rate <= bestOff.off) : [];
  const persistenceHolds = classic.length > 0 && costly && slowLogs.length === 0;
  const costText = costs.map((c) => `${c.system} on/off ${c.ratio.toFixed(2)}×`).join(', ');
  const ratios = (cs: typeof classic): string => cs.map((c) => `${c.system} ${c.ratio.toFixed(2)}×`).join(', ');
  return {
    held: ordered && (classic.length === 0 ? true : persistenceHolds),
    measured: `${chain} msg/s${costText ? `; ${costText}` : ''}`,
    summary: [
      ordered ? `The order holds among the ${present.length} measured (${present.join(' < ')}).` : `The order does not hold here: ${chain} msg/s.`,
      classic.length === 0
        ? 'Neither ActiveMQ nor RabbitMQ ran with persistence on and off, so its cost to them is not measured.'
        : costly
          ? `Persistence costs the classic brokers throughput (on/off: ${ratios(classic)}).`
          : `Persistence costs the classic brokers less than a fifth of their throughput (on/off: ${ratios(classic)}).`,
      bestOff && logBased.length
        ? slowLogs.length === 0
          ? `The log-based systems, always persistent, outrun ${bestOff.system} even with its persistence off (${fmt(bestOff.off)} msg/s).`
          : `${slowLogs.map((l) => `${l.row} (${fmt(l.rate)} msg/s, persistent)`).join(' and ')} did not outrun ${bestOff.system} with its persistence off (${fmt(bestOff.off)} msg/s).`
        : '',
    ]
      .filter(Boolean)
      .join(' '),
  };
}

export function peersCharts(runs: PeerRun[]): (BarChart | LatencyChart)[] {
  const onRuns = runs.filter((r) => r.outcome && persistent(r));
  const systems = [...new Set(runs.filter((r) => r.outcome).map((r) => r.system))];
  const label = (id: string): string => runs.find((r) => r.system === id)!.label;
  const rate = (id: string, mode: string): number => {
    const r = runs.find((x) => x.system === id && (x.mode === mode || (mode === PERSISTENT && x.external)) && x.outcome);
    return r ? produceRate(r) : 0;
  };
  return [
    {
      kind: 'bars',
      id: 'peers-throughput',
      title: 'Produce msg/s flat out, persistence on and off',
      caption: 'Each system\'s own persistent default against its non-persistent mode, where it has one (0: not run).',
      yLabel: 'msg/s',
      categories: systems.map(label),
      series: [
        { label: 'persistence on', values: systems.map((s) => rate(s, PERSISTENT)) },
        { label: 'persistence off', values: systems.map((s) => rate(s, 'off')) },
      ],
    },
    {
      kind: 'latency',
      id: 'peers-e2e-latency',
      title: 'End-to-end latency at the paced rate, persistence on',
      caption: 'From the producer\'s stamp to the consumer\'s callback, the same rate for every system.',
      series: onRuns.map((r) => ({ label: who(r), percentiles: r.outcome!.paced.endToEnd.percentiles.map((p) => ({ percentile: p.percentile, ms: Math.max(p.ms, 0.001) })) })),
    },
  ];
}

export function peersIntegrity(runs: PeerRun[]): IntegrityCheck[] {
  return runs.flatMap((r) => (r.outcome ? r.outcome.integrity.map((i) => ({ run: `${r.label}, ${r.mode}: ${i.subscription}`, sent: i.sent, received: i.received, lost: i.lost, duplicated: i.duplicated })) : []));
}
