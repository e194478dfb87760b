// Run under strace by strace-check.ts: sends, then prints the addon's
// system-call counters as JSON (one write, after the measured sends).
import { closeSync, openSync } from 'node:fs';
import type { StrategyName } from '../../src/native/addon.js';
import { runAddon } from './addon-runner.js';

const [port, file, strategy, size, count] = process.argv.slice(2);
const fd = openSync(file!, 'r');
const result = await runAddon(Number(port), fd, Buffer.alloc(0), strategy as StrategyName, Number(size), Number(count));
closeSync(fd);
process.stdout.write(JSON.stringify(result.counters!.syscalls));
