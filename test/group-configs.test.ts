// A group's settings are parsed once and kept (every RocketMQ receive asks
// for them): a change made through alter() must show at the next ask, and
// survive a restart from the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupConfigs } from '../src/broker/group-configs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('GroupConfigs.settings', () => {
  it('answers what alter() set, at once and after a restart; other groups keep their defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqlab-group-configs-'));
    dirs.push(dir);
    const file = join(dir, 'group-configs.json');
    const c = new GroupConfigs(file);
    c.open();
    expect(c.settings('g')).toEqual({ maxDeliveryAttempts: 16, backoffSteps: expect.any(Array), fifo: true });
    const defaults = c.settings('g').backoffSteps;
    c.alter('g', [{ name: 'max.delivery.attempts', value: '3' }, { name: 'retry.backoff.ladder', value: '1s,2s' }, { name: 'fifo', value: 'false' }]);
    expect(c.settings('g')).toEqual({ maxDeliveryAttempts: 3, backoffSteps: [1000, 2000], fifo: false });
    expect(c.settings('other')).toEqual({ maxDeliveryAttempts: 16, backoffSteps: defaults, fifo: true });
    // validateOnly changes nothing.
    c.alter('g', [{ name: 'max.delivery.attempts', value: '7' }], true);
    expect(c.settings('g').maxDeliveryAttempts).toBe(3);
    const again = new GroupConfigs(file);
    again.open();
    expect(again.settings('g')).toEqual({ maxDeliveryAttempts: 3, backoffSteps: [1000, 2000], fifo: false });
    // Back to the default once reverted.
    again.alter('g', [{ name: 'max.delivery.attempts', value: null }]);
    expect(again.settings('g').maxDeliveryAttempts).toBe(16);
    expect(again.describe('g').find((e) => e.name === 'max.delivery.attempts')?.value).toBe('16');
  });
});
