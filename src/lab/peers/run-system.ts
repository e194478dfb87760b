// One system in one persistence mode: its server started fresh (or an
// external target used as it is), a driver, the workload, everything
// stopped and removed again. A run that fails is returned as such, so the
// comparison goes on with the other systems.
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DriverEndpoint, DriverFactory } from './driver.js';
import { runWorkload, type PeerWorkload, type WorkloadOutcome } from './run-workload.js';
import type { PeerServer } from './servers/server.js';
import type { PersistenceSpec, SystemSpec } from './systems.js';
import type { Random } from '../random.js';

/** A system the comparison runs: one the lab starts, or an external target. */
export interface Contender {
  id: string;
  label: string;
  notesRow: SystemSpec['notesRow'];
  client: string;
  modes: PersistenceSpec[];
  driver: DriverFactory;
  /** Started by the lab (null: external, used as it is). */
  server: SystemSpec['server'] | null;
  /** An external target's endpoint. */
  endpoint?: DriverEndpoint;
  /** Topics to use as they are (an external RocketMQ cluster's, created beforehand); the run makes its own otherwise. */
  topics?: string[];
}

export interface PeerRun {
  system: string;
  label: string;
  client: string;
  notesRow: SystemSpec['notesRow'];
  mode: string;
  modeLabel: string;
  external: boolean;
  /** The server's version and startup time (null for an external target). */
  server: { version: string; startupMs: number } | null;
  driverNotes: string[];
  outcome: WorkloadOutcome | null;
  /** Why the run did not complete. */
  error: string | null;
}

export async function runSystem(c: Contender, mode: PersistenceSpec, w: PeerWorkload, o: { dataRoot: string; random: Random; progress: (s: string) => void; prefix: string }): Promise<PeerRun> {
  const run: PeerRun = { system: c.id, label: c.label, client: c.client, notesRow: c.notesRow, mode: mode.id, modeLabel: mode.label, external: c.server === null, server: null, driverNotes: [], outcome: null, error: null };
  // Absolute: servers run with their own working directories (Redis changes to its data directory).
  const dir = resolve(o.dataRoot, `peer-${c.id}-${mode.id}`);
  let server: PeerServer | null = null;
  try {
    if (c.server) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      o.progress(`peers: starting ${c.label} (${mode.id})`);
      server = await c.server.start(dir, mode.id);
      run.server = { version: server.version, startupMs: server.startupMs };
    }
    const endpoint = server?.endpoint ?? c.endpoint!;
    const driver = await c.driver({ endpoint, mode: mode.id, messageSize: w.messageSize });
    run.driverNotes = [...driver.notes];
    try {
      const s = server;
      run.outcome = await runWorkload(driver, w, {
        brokerCpu: () => (s ? s.cpuSeconds() : null),
        random: o.random,
        prefix: o.prefix,
        topics: c.topics,
        progress: (what) => o.progress(`peers: ${c.label} (${mode.id}): ${what}`),
      });
    } finally {
      await driver.deleteTopics().catch(() => undefined);
      await driver.close();
    }
  } catch (err) {
    run.error = (err as Error).message.split('\n').slice(0, 6).join('\n');
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return run;
}
