// RocketMQ's delay levels (delay-levels.ts): message.delay.level parsed and
// checked, and the level a wait rounds up to, as RocketMQ 5's proxy's
// computeDelayLevel: the shortest level longer than the wait, the longest
// past them all, levels numbered as configured whatever their order.
import { describe, expect, it } from 'vitest';
import { checkBrokerSettings } from '../src/broker/configs.js';
import { DEFAULT_DELAY_LEVELS, delayLevelFor, parseDelayLevels } from '../src/broker/rocketmq/timer/delay-levels.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../src/server/settings.js';
import { startBroker } from '../src/server/start.js';
import { tempDir } from './helpers/files.js';

describe('delay levels', () => {
  it("reads RocketMQ's default 18 levels", () => {
    const levels = parseDelayLevels(DEFAULT_DELAY_LEVELS) as number[];
    expect(levels).toHaveLength(18);
    expect(levels.slice(0, 5)).toEqual([1_000, 5_000, 10_000, 30_000, 60_000]);
    expect(levels[17]).toBe(2 * 3_600_000);
    expect(parseDelayLevels('1d 90s')).toEqual([86_400_000, 90_000]);
  });

  it.each([
    ['', /1 to 64 levels/],
    ['1s 5x', /"5x" is not a delay/],
    ['0s', /outside 1s to 365d/],
    ['400d', /outside 1s to 365d/],
    [Array(65).fill('1s').join(' '), /1 to 64 levels/],
  ])('refuses %j', (value, why) => {
    expect(parseDelayLevels(value)).toMatch(why);
    expect(() => checkBrokerSettings({ 'message.delay.level': value })).toThrow(why);
  });

  it('a level longer than timer.max.delay.ms stops the start, naming it', async () => {
    const tmp = tempDir();
    try {
      const settings = applyProperties(DEFAULT_SERVE_SETTINGS, { port: '0', 'use.delay.level': 'true', 'message.delay.level': '1s 2h', 'timer.max.delay.ms': '60000' });
      await expect(startBroker({ ...settings, dataDir: tmp.dir }, () => undefined, { rocketmqPort: 0 })).rejects.toThrow(/level 2 \(7200000 ms\) is longer than timer.max.delay.ms \(60000 ms\)/);
    } finally {
      tmp.cleanup();
    }
  });

  it('rounds a wait up to the shortest longer level, or the longest', () => {
    const levels = parseDelayLevels(DEFAULT_DELAY_LEVELS) as number[];
    expect(delayLevelFor(levels, 0)).toEqual({ level: 1, delayMs: 1_000 });
    expect(delayLevelFor(levels, 999)).toEqual({ level: 1, delayMs: 1_000 });
    // Strictly longer, as computeDelayLevel's `entry.getValue() > intervalMillis`.
    expect(delayLevelFor(levels, 1_000)).toEqual({ level: 2, delayMs: 5_000 });
    expect(delayLevelFor(levels, 45_000)).toEqual({ level: 5, delayMs: 60_000 });
    expect(delayLevelFor(levels, 3 * 3_600_000)).toEqual({ level: 18, delayMs: 7_200_000 });
    // Out of order: numbered as given, chosen by delay.
    expect(delayLevelFor([3_000, 1_000, 2_000], 1_500)).toEqual({ level: 3, delayMs: 2_000 });
    expect(delayLevelFor([3_000, 1_000, 2_000], 9_000)).toEqual({ level: 1, delayMs: 3_000 });
  });
});
