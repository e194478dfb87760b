// Run under strace by strace-check.ts: sends, then prints the addon's
// system-call counters as JSON (one write, after the measured sends).
import { openSync } from 'node:fs';
import type { StrategyName } from '../../src/native/addon.js';
import { SharedFile } from '../../src/transfer/index.js';
import { runAddon } from './addon-runner.js';

const [port, file, strategy, size, count] = process.argv.slice(2);
const shared = new SharedFile(openSync(file!, 'r'), file!);
const result = await runAddon(Number(port), shared, Buffer.alloc(0), strategy as StrategyName, Number(size), Number(count));
shared.close();
process.stdout.write(JSON.stringify(result.counters!.syscalls));
