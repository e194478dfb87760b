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
import { SCENARIO_NAMES } from '../src/lab/scenarios/names.js';
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

  // Whatever its verdict (CPU figures are noisy at smoke size), the counters must show the mechanism.
  it('tls: plain fetches go through the addon (0, 1, 2 copies per byte), TLS ones through pread and OpenSSL (1), whatever the strategy', { timeout: 120_000 }, async () => {
    const run = await runLab({ suite: 'scenario', scenarios: ['tls'], dataDir: tmp.dir, progress: null, log: () => undefined, smoke: true });
    const s = run.scenarios[0]!;
    const copies = s.tables[0]!.rows.map((r) => `${r[0]} ${r[1]} ${r[2]} ${r[5]}`);
    const at = (size: string): string[] => ['sendfile off 0.00', 'sendfile on 1.00', 'mmap off 1.00', 'mmap on 1.00', 'copy off 2.00', 'copy on 1.00'].map((x) => `${size} ${x}`);
    expect(copies).toEqual([...at('64 KiB'), ...at('1024 KiB')]);
    expect(s.notes.join('\n')).toContain('Checked: the addon sent no file bytes during the TLS runs');
    expect(s.notes.join('\n')).toMatch(/Kernel TLS \(.+\): .*tcp_available_ulp/);
    expect(s.settings.tls).toMatch(/^TLSv1\.[23] /);
  });

  it('names every scenario for the CLI\'s help, in report order', () => {
    expect(SCENARIO_NAMES).toEqual(SCENARIOS.map((s) => s.name));
  });

  it('refuses a smoke run of the full suite', async () => {
    await expect(runLab({ suite: 'full', dataDir: tmp.dir, progress: null, log: () => undefined, smoke: true })).rejects.toThrow(/smoke/);
  });
});
