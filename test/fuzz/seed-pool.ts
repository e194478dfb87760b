// A pool of valid requests, each with what the mutators need to know about
// it (where its lengths and batches are), built once: encoding a request
// costs more than mutating and sending one. Each frame taken from the pool
// gets its own correlation id and its own consumer group, so that fuzzed
// JoinGroups do not wait on each other's rebalances.
import type { Prng } from '../helpers/prng.js';
import { seedRequest, servedVersions } from './kafka-seeds.js';
import type { BatchSite } from './batch-mutators.js';
import { findSites, type Sites } from './sites.js';

/** Twelve bytes, rewritten per frame ("fzg-" and eight hex digits). */
const GROUP_TEMPLATE = 'fzg-00000000';

export interface PoolSeed {
  apiKey: number;
  apiVersion: number;
  body: Buffer;
  sites: Sites;
  batches: BatchSite[];
  /** Where the header ends (after the client id and any header tags). */
  headerEnd: number;
  groupSlots: number[];
}

function occurrences(body: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = body.indexOf(needle); i >= 0; i = body.indexOf(needle, i + needle.length)) out.push(i);
  return out;
}

export function buildPool(rng: Prng, perVersion: number): PoolSeed[] {
  const pool: PoolSeed[] = [];
  const group = Buffer.from(GROUP_TEMPLATE);
  for (const { api, version } of servedVersions()) {
    for (let i = 0; i < perVersion; i++) {
      const s = seedRequest(rng, api, version, 0, GROUP_TEMPLATE);
      const sites = findSites(s.body);
      const clientId = sites.lengths[0]!;
      const headerEnd = clientId.at + 2 + Math.max(clientId.value, 0);
      pool.push({
        apiKey: s.apiKey,
        apiVersion: s.apiVersion,
        body: s.body,
        sites,
        batches: s.batches.map((b) => ({ at: s.body.indexOf(b), length: b.length })),
        headerEnd,
        groupSlots: occurrences(s.body, group),
      });
    }
  }
  return pool;
}

/** A copy of the seed's request with this frame's correlation id and group. */
export function instantiate(seed: PoolSeed, correlationId: number, groupNumber: number): Buffer {
  const b = Buffer.from(seed.body);
  b.writeInt32BE(correlationId, 4);
  const hex = (groupNumber >>> 0).toString(16).padStart(8, '0');
  for (const at of seed.groupSlots) b.write(hex, at + 4, 'latin1');
  return b;
}
