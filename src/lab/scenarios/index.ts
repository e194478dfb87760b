// The claim scenarios, in the order a report shows them.
import type { Scenario } from './common.js';
import { crash } from './crash.js';
import { delay } from './delay.js';
import { featuresVsZeroCopy } from './features-vs-zero-copy.js';
import { http } from './http.js';
import { integrity } from './integrity.js';
import { latency } from './latency.js';
import { liveSwap } from './live-swap.js';
import { partitions } from './partitions.js';
import { peers } from './peers.js';
import { persistence } from './persistence.js';
import { protocols } from './protocols.js';
import { tags } from './tags.js';
import { throughput } from './throughput.js';
import { tls } from './tls.js';
import { transactions } from './transactions.js';
import { twoReads } from './two-reads.js';
import { zeroCopy } from './zero-copy.js';

export type { Scenario };

export const SCENARIOS: readonly Scenario[] = [throughput, zeroCopy, partitions, twoReads, persistence, integrity, crash, liveSwap, http, latency, protocols, featuresVsZeroCopy, tags, delay, transactions, tls, peers];

export function scenarioByName(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario "${name}" (known: ${SCENARIOS.map((x) => x.name).join(', ')})`);
  return s;
}
