// Every scenario of the quick suite, end to end at smoke sizes: broker
// processes (integrity SIGKILLs one, crash a dozen), the load tools, strace
// where installed, autocannon. A verdict either way is a finding about this
// machine; a scenario that breaks is a failed test.
import { afterAll, describe, expect, it } from 'vitest';
import { esc } from '../src/lab/report/html.js';
import { validateRun } from '../src/lab/report/write.js';
import { renderReport } from '../src/lab/report/render.js';
import { runLab } from '../src/lab/run-lab.js';
import { SCENARIOS } from '../src/lab/scenarios/index.js';
import { tempDir } from './helpers/files.js';

describe('lab scenarios at smoke sizes', () => {
  const tmp = tempDir('mqlab-lab-smoke-');
  afterAll(() => tmp.cleanup());

  // Generous: on a busy 2-core machine integrity alone (eight broker starts) can take half a minute.
  it.each(SCENARIOS.filter((s) => !s.fullSuiteOnly).map((s) => s.name))('%s runs to a verdict, and its results render', { timeout: 120_000 }, async (name) => {
    const run = await runLab({ suite: 'scenario', scenarios: [name], dataDir: tmp.dir, progress: null, log: () => undefined, smoke: true });
    const s = run.scenarios[0]!;
    expect([run.smoke, run.scenarios.length, s.name]).toEqual([true, 1, name]);
    // The runner turns a thrown error into held: null, the stack in the notes.
    expect(s.verdict.held, `${s.verdict.summary}\n${s.notes.join('\n')}`).toBeTypeOf('boolean');
    const html = renderReport(validateRun(JSON.parse(JSON.stringify(run))));
    expect(html).toContain('smoke sizes');
    expect(html).toContain(esc(s.verdict.measured));
  });

  it('refuses a smoke run of the full suite', async () => {
    await expect(runLab({ suite: 'full', dataDir: tmp.dir, progress: null, log: () => undefined, smoke: true })).rejects.toThrow(/smoke/);
  });
});
