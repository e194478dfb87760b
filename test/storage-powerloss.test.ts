// Power loss, not just SIGKILL: a SIGKILLed process leaves the page cache
// behind, so a crash test cannot tell flush=batch from flush=none. Here a
// child appends under strace, which records every write and sync as the
// kernel was asked and orders the child's acknowledgements against them
// (helpers/powerloss/record-child.ts says why strace); from that recording
// we build the states a power cut at each point could leave on disk
// (crash-states.ts has the model), recover each with the engine and check
// it (check-recovery.ts):
// - flush=batch: every acknowledged record survives, and the trace shows
//   each acknowledgement printed after the sync covering it returned;
// - every policy: every record in the synced bytes (an unbroken prefix of
//   the log) survives. For flush=interval that is the promise as the syncs
//   actually issued keep it; how long records stayed exposed is printed,
//   not asserted (it is the interval plus timer lateness plus the sync);
// - always: no corrupt batch served, offsets without a gap, reads and time
//   lookups land in the right batch, index files agree with the logs.
//
// MQLAB_POWERLOSS_SEED=<n> replays the workload and the sampled states (the
// seed is printed); MQLAB_POWERLOSS_STATES=<n> sets the states of a
// flush=batch recording (the others get half; for soak runs);
// MQLAB_POWERLOSS_REPLAY=<dir> reuses the traces a failing run kept there
// (thread timing makes every recording different);
// MQLAB_POWERLOSS_METADATA=posix explores the stricter metadata model.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PARTITIONS, TOPIC } from './fixtures/powerloss-workload.mjs';
import { tempDir } from './helpers/files.js';
import type { MetadataModel } from './helpers/powerloss/crash-states.js';
import type { EngineName } from './helpers/powerloss/floors.js';
import { recordChild, straceAvailable } from './helpers/powerloss/record-child.js';
import { buildRecording, type Recording } from './helpers/powerloss/recording.js';
import { acksOf, exposure, keepTrace, sweep, type SweepResult } from './helpers/powerloss/simulate.js';
import { parseStrace } from './helpers/powerloss/strace-lines.js';
import { missing } from './helpers/requires.js';

const SEED = Number(process.env.MQLAB_POWERLOSS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MODEL = (process.env.MQLAB_POWERLOSS_METADATA ?? 'ordered') as MetadataModel;
const REPLAY = process.env.MQLAB_POWERLOSS_REPLAY;
/** Append rounds per phase of the child (each 1-4 appends of 1-5 records). */
const ROUNDS = 24;
const INTERVAL_MS = 20;
const POLICIES = ['batch', 'interval', 'none'] as const;
type Policy = (typeof POLICIES)[number];
const BATCH_STATES = Number(process.env.MQLAB_POWERLOSS_STATES ?? 1000);
const STATES: Record<Policy, number> = { batch: BATCH_STATES, interval: Math.ceil(BATCH_STATES / 2), none: Math.ceil(BATCH_STATES / 2) };

const tmp = tempDir('mqlab-powerloss-');
// States are written, recovered and thrown away by the thousand: on tmpfs
// when there is one (the recording itself runs on the real disk).
const scratch = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/mqlab-powerloss-') : join(tmp.dir, 'scratch');
const keepRoot = REPLAY ?? join(tmpdir(), `mqlab-powerloss-failures-${SEED}`);
afterAll(() => {
  tmp.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});
console.log(`power loss: seed ${SEED} (MQLAB_POWERLOSS_SEED to replay), metadata model ${MODEL}`);

const recordings = new Map<string, Promise<{ rec: Recording; tracePath: string }>>();

/** The recording of `engine` under `policy`, made once per run. */
function recording(engine: EngineName, policy: Policy): Promise<{ rec: Recording; tracePath: string }> {
  const name = `${engine}-${policy}`;
  let r = recordings.get(name);
  if (r === undefined) {
    r = (async () => {
      const saved = REPLAY ? join(REPLAY, name) : null;
      let tracePath = join(tmp.dir, `${name}.trace`);
      let dataDir = join(tmp.dir, `${name}-data`);
      if (saved && existsSync(join(saved, 'trace.txt'))) {
        tracePath = join(saved, 'trace.txt');
        dataDir = (JSON.parse(readFileSync(join(saved, 'run.json'), 'utf8')) as { dataDir: string }).dataDir;
      } else {
        const flush = policy === 'interval' ? String(INTERVAL_MS) : policy;
        await recordChild({ engine, flush, seed: SEED, rounds: ROUNDS, dataDir, tracePath });
      }
      return { rec: buildRecording(parseStrace(readFileSync(tracePath, 'latin1')), dataDir), tracePath };
    })();
    recordings.set(name, r);
  }
  return r;
}

function sweepOf(engine: EngineName, label: string, rec: Recording, acksAreDurable: boolean, states: number, keepFailures: boolean): Promise<SweepResult> {
  return sweep(rec, {
    engine,
    label,
    acksAreDurable,
    partitions: PARTITIONS,
    topic: TOPIC,
    seed: SEED,
    states,
    model: MODEL,
    workDir: join(scratch, label),
    keepDir: keepFailures ? join(keepRoot, label) : undefined,
  });
}

/** Keeps the trace and the failures where MQLAB_POWERLOSS_REPLAY finds them. */
function keep(label: string, rec: Recording, tracePath: string, result: SweepResult): void {
  const dir = join(keepRoot, label);
  mkdirSync(dir, { recursive: true });
  if (!REPLAY) keepTrace(tracePath, dir);
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ dataDir: rec.root }));
  writeFileSync(join(dir, 'failures.txt'), [...result.unsyncedAcks, ...result.failures].join('\n'));
}

describe.skipIf(missing('strace', straceAvailable()))('power loss (strace recording, simulated cuts)', () => {
  describe.each(['segmented', 'commitlog'] as const)('%s engine', (engine) => {
    it.each(POLICIES)('recovers every state a power cut could leave (flush=%s)', async (policy) => {
      const started = Date.now();
      const { rec, tracePath } = await recording(engine, policy);
      const recordedMs = Date.now() - started;
      const acks = acksOf(rec);
      expect(acks.length, 'the child acknowledged appends').toBeGreaterThan(20);
      if (policy !== 'none') expect(rec.syncs.length, "the trace holds the engine's syncs").toBeGreaterThan(0);
      const label = `${engine}-${policy}`;
      const result = await sweepOf(engine, label, rec, policy === 'batch', STATES[policy], true);
      if (result.failures.length > 0 || result.unsyncedAcks.length > 0) keep(label, rec, tracePath, result);
      const exposed = policy === 'interval' ? exposure(rec, { engine, topic: TOPIC, partitions: PARTITIONS, model: MODEL }) : null;
      console.log(
        `power loss ${label}: ${rec.syncs.length} syncs, ${acks.length} acks; ${result.checked} states in ${Date.now() - started} ms (recording ${recordedMs} ms); ` +
          `${result.failures.length} failed, ${result.unsyncedAcks.length} acknowledgements not synced` +
          (exposed ? `; acknowledged records durable after a median ${exposed.median.toFixed(1)} ms, at most ${exposed.max.toFixed(1)} ms (interval ${INTERVAL_MS} ms; ${exposed.never} not before the child exited)` : ''),
      );
      expect(result.unsyncedAcks.slice(0, 5), 'acknowledged before its fdatasync returned').toEqual([]);
      expect(result.failures.slice(0, 3)).toEqual([]);
    }, 180_000);

    // The checker itself: flush=none acknowledges at once, which is what
    // flush=batch without its fdatasync would do. Held to batch's promise,
    // it must be caught, both on the trace and by recovering states.
    it('catches acknowledged appends that were never synced (flush=none held to flush=batch)', async () => {
      const { rec } = await recording(engine, 'none');
      const result = await sweepOf(engine, `${engine}-none-as-batch`, rec, true, Math.max(50, Math.ceil(STATES.batch / 10)), false);
      expect(result.unsyncedAcks.length).toBeGreaterThan(0);
      expect(result.failures.join('\n')).toMatch(/had to survive/);
    }, 180_000);
  });
});
