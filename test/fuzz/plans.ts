// What one fuzz connection sends, decided before it connects: a run of
// frames the broker must answer, then at most one that ends the
// connection (a frame that must close it, a long poll the client walks
// away from, or garbage in the framing itself). Frames past a fatal one
// would be discarded unread, so they are never sent and never counted.
// Plans come from the PRNG in order, so plan n is the same in every run
// of a seed, however the connections interleave.
import { ApiKeys, bytesOf, encodeRequest } from '../../src/protocol/kafka/index.js';
import type { Prng } from '../helpers/prng.js';
import { mutateFrame } from './frame-mutators.js';
import { expectationOf, type Expectation } from './oracle.js';
import { instantiate, type PoolSeed } from './seed-pool.js';
import { streamTail, type StreamTail } from './stream-tails.js';

export interface PlannedFrame {
  body: Buffer;
  mutation: string;
  expect: Expectation;
}

export interface Plan {
  index: number;
  frames: PlannedFrame[];
  tail: StreamTail | null;
}

export interface PlanOptions {
  /** Most frames on one connection. */
  maxFrames: number;
  /** Share of frames sent unmutated, so the handlers also see plain valid input mixed in. */
  validShare: number;
  /** Share of connections that end with garbage in the framing. */
  tailShare: number;
  /** The broker's frame limit, for tails that exceed it. */
  maxFrameBytes: number;
}

export class Planner {
  private plans = 0;
  private groups = 0;

  constructor(
    private readonly rng: Prng,
    private readonly pool: readonly PoolSeed[],
    private readonly o: PlanOptions,
  ) {}

  /** The next plan, holding at most `budget` frames. */
  next(budget: number): Plan {
    const rng = this.rng;
    const frames: PlannedFrame[] = [];
    const limit = Math.min(this.o.maxFrames, budget);
    // Decided first: most runs of frames end in a fatal one, and a tail must follow an open connection.
    const withTail = rng.chance(this.o.tailShare);
    while (frames.length < limit) {
      const seed = rng.pick(this.pool);
      const body = instantiate(seed, frames.length + 1, this.groups++);
      const m = rng.chance(this.o.validShare) ? { bytes: body, name: 'none' } : mutateFrame(body, seed, rng, this.pool);
      const expect = expectationOf(m.bytes);
      const ends = expect.kind !== 'answered' && expect.kind !== 'silent';
      // A connection that is to end in a framing tail stops before a frame that would end it first (unsent, uncounted).
      if (ends && withTail && frames.length > 0) break;
      // An acks=0 frame needs the sentinel after it: with no room for both, the plan ends in the sentinel alone.
      if (expect.kind === 'silent' && frames.length + 1 >= limit) break;
      frames.push({ body: m.bytes, mutation: m.name, expect });
      if (ends) break;
    }
    // Nothing answers acks=0: a request answered after it proves it was read. (Also the whole plan when its only frame would have been acks=0.)
    if (frames.length === 0 || frames[frames.length - 1]!.expect.kind === 'silent') frames.push(sentinel(frames.length + 1));
    const open = frames[frames.length - 1]!.expect.kind === 'answered';
    const tail = open && withTail ? streamTail(rng, this.pool, this.o.maxFrameBytes) : null;
    return { index: this.plans++, frames, tail };
  }
}

function sentinel(correlationId: number): PlannedFrame {
  const body = bytesOf(encodeRequest(ApiKeys.ApiVersions, 0, correlationId, 'fuzz', {}));
  return { body, mutation: 'sentinel', expect: { kind: 'answered', apiKey: ApiKeys.ApiVersions, apiVersion: 0, correlationId } };
}
