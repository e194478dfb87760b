// The comparison the notes open with, run for real: every installed peer
// (RabbitMQ, ActiveMQ, NATS JetStream, Redis Streams) started by the lab,
// mqlab as Kafka and as RocketMQ, and any external target, each under the
// same OpenMessaging-Benchmark-shaped workload with persistence on and off.
// A peer that is not installed is named with the line that installs it.
import { CATALOGUE } from '../peers/catalogue.js';
import { toOmbResult } from '../peers/omb-result.js';
import { runSystem, type Contender, type PeerRun } from '../peers/run-system.js';
import type { PeerWorkload } from '../peers/run-workload.js';
import type { LabContext } from '../context.js';
import { type Scenario, type ScenarioOutcome } from './common.js';
import { measuredTable, notesTable, peersCharts, peersIntegrity, peersVerdict, persistenceCost } from './peers-report.js';

export function peerWorkload(ctx: LabContext): PeerWorkload {
  const w = ctx.workload;
  const messageSize = ctx.valueBytes(1024);
  const partitionsPerTopic = w.partitionsPerTopic ?? 4;
  return {
    name: w.name ?? `peers: ${w.topics ?? 1} topic, ${partitionsPerTopic} partitions, ${messageSize} B`,
    topics: w.topics ?? 1,
    partitionsPerTopic,
    messageSize,
    keys: w.keyDistributor && w.keyDistributor !== 'NO_KEY' ? 1000 : 0,
    producersPerTopic: w.producersPerTopic ?? 1,
    subscriptionsPerTopic: w.subscriptionsPerTopic ?? 1,
    consumerPerSubscription: w.consumerPerSubscription ?? 1,
    producerRate: w.producerRate ?? ctx.pick(1000, 2000, 200),
    warmupSeconds: w.warmupDurationMinutes !== undefined ? w.warmupDurationMinutes * 60 : ctx.pick(2, 10, 0.5),
    flatOutSeconds: ctx.seconds(8, 60, 1),
    pacedSeconds: ctx.seconds(8, 60, 1),
    consumerBacklogSizeGB: w.consumerBacklogSizeGB ?? 0,
    window: 1000,
    drainIdleSeconds: ctx.pick(10, 20, 5),
  };
}

/** The systems of this run: the catalogue (or the ones asked for by id) and the external targets. */
function contenders(ctx: LabContext): { run: Contender[]; missing: { label: string; apt: string }[] } {
  const only = ctx.peers.systems;
  if (only) for (const id of only) if (!CATALOGUE.some((s) => s.id === id)) throw new Error(`no peer system "${id}" (known: ${CATALOGUE.map((s) => s.id).join(', ')})`);
  const chosen = CATALOGUE.filter((s) => !only || only.includes(s.id));
  const run: Contender[] = [];
  const missing: { label: string; apt: string }[] = [];
  for (const s of chosen) {
    if (s.server.installed()) run.push({ ...s });
    else missing.push({ label: s.label, apt: s.server.apt });
  }
  return { run: [...run, ...ctx.peers.targets], missing };
}

export const peers: Scenario = {
  name: 'peers',
  title: 'Peers: ActiveMQ, RabbitMQ, RocketMQ and Kafka (and NATS, Redis) under one workload',
  claim: 'Single-node throughput orders ActiveMQ < RabbitMQ < RocketMQ < Kafka (the notes: 6,000 / 12,000 / 100,000 / 1,000,000 msg/s); persistence costs ActiveMQ and RabbitMQ throughput, while RocketMQ and Kafka are built on it.',
  fullSuiteOnly: true,
  async run(ctx): Promise<ScenarioOutcome> {
    const w = peerWorkload(ctx);
    const { run: chosen, missing } = contenders(ctx);
    const runs: PeerRun[] = [];
    let serial = 0;
    for (const c of chosen) {
      for (const mode of c.modes) {
        runs.push(await runSystem(c, mode, w, { dataRoot: ctx.dataRoot, random: ctx.random(`peers/${c.id}/${mode.id}`), progress: (s) => ctx.progress(s), prefix: `mqlab-peers-${process.pid}-${++serial}` }));
      }
    }
    const costs = persistenceCost(runs);
    const failed = runs.filter((r) => r.error);
    return {
      verdict: peersVerdict(runs),
      charts: peersCharts(runs),
      tables: [notesTable(runs), measuredTable(runs, missing)],
      integrity: peersIntegrity(runs),
      settings: {
        workload: w.name,
        topics: w.topics,
        partitionsPerTopic: w.partitionsPerTopic,
        messageSize: w.messageSize,
        producersPerTopic: w.producersPerTopic,
        subscriptionsPerTopic: w.subscriptionsPerTopic,
        consumerPerSubscription: w.consumerPerSubscription,
        producerRate: w.producerRate === 0 ? 'searched' : w.producerRate,
        warmupSeconds: w.warmupSeconds,
        flatOutSeconds: w.flatOutSeconds,
        pacedSeconds: w.pacedSeconds,
        consumerBacklogSizeGB: w.consumerBacklogSizeGB,
        sendsInFlightPerProducer: w.window,
      },
      notes: [
        'Every server runs on this machine beside the lab process, which runs every client: the two share the cores, so a system whose client works harder leaves its broker less CPU. Both CPU figures are in the table.',
        'Persistence "on" is each system\'s durable default; "off" its non-persistent mode. Kafka and RocketMQ have no non-persistent mode: their "on" writes the log to the page cache (Kafka\'s default; RocketMQ\'s ASYNC_FLUSH), and "fsync" forces each acknowledged write to disk.',
        ...chosen.map((c) => `${c.label}: client ${c.client}; modes ${c.modes.map((m) => `${m.id} = ${m.label}`).join('; ')}.`),
        ...dedupe(runs.flatMap((r) => r.driverNotes.map((n) => `${r.label}: ${n}`))),
        ...runs.filter((r) => r.server).map((r) => `${r.label} (${r.mode}): ${r.server!.version || 'version not reported'}, ready in ${(r.server!.startupMs / 1000).toFixed(1)} s.`),
        ...runs.filter((r) => r.outcome && r.outcome.search.length > 0).map((r) => `${r.label} (${r.mode}) rate search: ${r.outcome!.search.map((s) => `${Math.round(s.rate)} msg/s ${s.sustained ? 'held' : `did not hold (published ${Math.round(s.achieved)}, backlog ${s.backlogAtEnd})`}`).join('; ')}.`),
        ...runs.filter((r) => r.outcome?.backlog).map((r) => `${r.label} (${r.mode}) backlog: ${r.outcome!.backlog!.messages} messages built in ${r.outcome!.backlog!.buildSeconds.toFixed(1)} s, drained in ${r.outcome!.backlog!.drainSeconds.toFixed(1)} s${r.outcome!.backlog!.drained ? '' : ' (not fully)'}.`),
        ...runs.filter((r) => r.outcome?.firstError).map((r) => `${r.label} (${r.mode}): some sends failed, the first with: ${r.outcome!.firstError}`),
        ...failed.map((r) => `${r.label} (${r.mode}) did not complete: ${r.error}`),
        ...missing.map((m) => `${m.label} is not installed: ${m.apt} (or mqlab peers --install).`),
        ...(costs.length ? [`Persistence on against off, produce msg/s: ${costs.map((c) => `${c.system} ${c.ratio.toFixed(2)}×`).join(', ')}.`] : []),
      ],
      omb: runs.filter((r) => r.outcome).map((r) => toOmbResult({ workload: w, driver: `${r.system}-${r.client}`, outcome: r.outcome!, system: r.system, mode: r.mode })),
    };
  },
};

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}
