// The scale benchmark's flags: each has a full-size default (the whole run in
// under ten minutes on a 2-core machine) and a --quick one (under a minute);
// a flag given wins over both.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { STRATEGY_NAMES, type StrategyName } from '../../src/native/addon.js';
import { ENGINE_KINDS } from '../../src/storage/index.js';

export const SECTIONS = ['connections', 'fan-out', 'recovery'] as const;
export type Section = (typeof SECTIONS)[number];

/** flag: [default, --quick default] (batch-records: a list, a connections run each) */
const SIZES = {
  connections: [1000, 100],
  rate: [100, 100],
  'batch-records': ['1,10', '1'],
  partitions: [8, 8],
  seconds: [20, 3],
  'warmup-seconds': [2, 1],
  window: [5, 5],
  consumers: [100, 10],
  'fanout-mib': [256, 16],
  'fetch-mib': [1, 1],
  reps: [1, 1],
  'recovery-mib': [1024, 32],
  'recovery-reps': [3, 1],
  'record-bytes': [1024, 1024],
  'p99-ms': [10, 10],
} as const;
type SizeFlag = keyof typeof SIZES;

export interface ScaleOptions {
  quick: boolean;
  engines: string[];
  sections: Section[];
  strategies: StrategyName[];
  /** Load-generator threads: the producer connections', the consumers'. */
  producerThreads: number;
  consumerThreads: number;
  /** Records per produce request, one connections run each. */
  batchRecords: number[];
  sizes: Record<Exclude<SizeFlag, 'batch-records'>, number>;
  out: string | undefined;
}

export function parseScaleOptions(argv: string[]): ScaleOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      engines: { type: 'string', default: ENGINE_KINDS.join(',') },
      sections: { type: 'string', default: SECTIONS.join(',') },
      strategies: { type: 'string', default: STRATEGY_NAMES.join(',') },
      'producer-threads': { type: 'string' },
      'consumer-threads': { type: 'string' },
      out: { type: 'string' },
      ...(Object.fromEntries(Object.keys(SIZES).map((k) => [k, { type: 'string' }])) as Record<SizeFlag, { type: 'string' }>),
    },
  });
  const quick = values.quick === true;
  const number = (flag: string, text: string): number => {
    const n = Number(text);
    if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`--${flag} must be a positive number, got "${text}"`);
    return n;
  };
  const sizes = {} as ScaleOptions['sizes'];
  for (const [flag, [full, small]] of Object.entries(SIZES) as [SizeFlag, readonly [number, number]][]) {
    if (flag === 'batch-records') continue;
    const given = values[flag] as string | undefined;
    (sizes as Record<string, number>)[flag] = given === undefined ? (quick ? small : full) : number(flag, given);
  }
  const list = <T extends string>(flag: string, text: string, allowed: readonly string[]): T[] => {
    const items = text.split(',').filter(Boolean);
    for (const i of items) if (!allowed.includes(i)) throw new RangeError(`--${flag}: unknown "${i}" (one of ${allowed.join(', ')})`);
    return items as T[];
  };
  const batch = (values['batch-records'] as string | undefined) ?? SIZES['batch-records'][quick ? 1 : 0];
  return {
    quick,
    engines: list('engines', values.engines!, ENGINE_KINDS),
    sections: list<Section>('sections', values.sections!, SECTIONS),
    strategies: list<StrategyName>('strategies', values.strategies!, STRATEGY_NAMES),
    // The broker does its work on one event loop. Producers at a fixed rate
    // need little CPU each: they leave that loop a core of its own (a second
    // thread here only competed with it). Consumers run flat out, and
    // receiving costs more CPU per GB than sending: they get every core.
    producerThreads: values['producer-threads'] === undefined ? Math.max(1, cpus().length - 1) : number('producer-threads', values['producer-threads']),
    consumerThreads: values['consumer-threads'] === undefined ? cpus().length : number('consumer-threads', values['consumer-threads']),
    batchRecords: batch.split(',').map((b) => number('batch-records', b)),
    sizes,
    out: values.out,
  };
}
