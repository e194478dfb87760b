// Opens an engine on a crash state (its open() recovers) and checks what it
// serves: every durable (and, under flush=batch, acknowledged) record is
// there with the right bytes; every batch served passes the engine's own
// verification and an independent CRC; offsets run on from the log start
// to the high watermark; a read at an offset starts at the batch holding
// it (every offset, or one per batch); a time lookup finds the batch holding the time; the engine takes the
// next append at the high watermark; and after a clean close the index
// files agree with the logs (index-files.ts) and a clean reopen sees the
// same log. Failures come back as sentences, not thrown, so one run can
// report many states.
import { encodeBatch } from '../../../src/records/index.js';
import { CommitLogEngine } from '../../../src/storage/commitlog/engine.js';
import { SegmentedEngine } from '../../../src/storage/segmented/engine.js';
import type { StorageEngine, TopicPartition } from '../../../src/storage/types.js';
import { COMMITLOG_TUNING, recordTimestamp, recordValue, SEGMENT_BYTES, TOPIC } from '../../fixtures/powerloss-workload.mjs';
import type { EngineName } from './floors.js';
import { indexFileProblems } from './index-files.js';
import { checkedBatch, wrongContent, type Batch } from './log-files.js';
import { int, type Random } from './sampling.js';
import { readRegions } from '../regions.js';
import { offsetOf, releaseLeases } from './api-shapes.js';

/** Batches probed per partition by a read at one of their offsets, in a state that is not checked thoroughly. */
const SAMPLED_BATCHES = 16;
const rightContent = new Set<string>();

/** The engine as the child ran it (same file sizes, so recovery sees the same layout). */
export function makeEngine(engine: EngineName, dir: string, log: (m: string) => void): StorageEngine {
  const options = { dir, flush: { kind: 'none' as const }, segmentBytes: SEGMENT_BYTES, log };
  return engine === 'commitlog' ? new CommitLogEngine(options, COMMITLOG_TUNING) : new SegmentedEngine(options);
}

export interface Expected {
  partitions: number;
  /** Per partition: the last offset recovery must keep (-1: none). */
  mustKeep: number[];
  /** Per partition, for the message: the durable floor and the last acknowledged offset. */
  floors: number[];
  acked: number[];
}

/**
 * `thorough`: reads at every offset and a clean reopen at the end; else
 * reads at one offset of each of a few batches per partition (the cost of a
 * state is mostly these reads, and thousands of states sample the rest).
 */
export async function checkRecovery(engineName: EngineName, dir: string, exp: Expected, r: Random, thorough: boolean): Promise<string[]> {
  const said: string[] = [];
  const engine = makeEngine(engineName, dir, (m) => said.push(m));
  const problems: string[] = [];
  try {
    await engine.open();
  } catch (err) {
    return [`open() failed: ${(err as Error).message}`];
  }
  const hws: number[] = [];
  try {
    for (let p = 0; p < exp.partitions; p++) hws.push(checkPartition(engine, p, exp, r, thorough, problems));
    const tp = { topic: TOPIC, partition: 0 };
    if (hws[0]! >= 0) {
      const got = await engine.append(tp, batchAt(0, hws[0]!, 2));
      if (Number(got.baseOffset) !== hws[0]) problems.push(`partition 0: the next append got offset ${got.baseOffset}, not the high watermark ${hws[0]}`);
      hws[0]! += 2;
    }
  } catch (err) {
    problems.push(`checking threw: ${(err as Error).stack}`);
  }
  await engine.close();
  if (problems.length === 0) problems.push(...indexFileProblems(engineName, dir, TOPIC, exp.partitions));
  if (problems.length === 0 && thorough) {
    const again = makeEngine(engineName, dir, () => undefined);
    await again.open();
    for (let p = 0; p < exp.partitions; p++) {
      if (hws[p]! < 0) continue;
      const hw = Number(again.highWatermark({ topic: TOPIC, partition: p }));
      if (hw !== hws[p]) problems.push(`partition ${p}: after a clean close and reopen the high watermark is ${hw}, was ${hws[p]}`);
    }
    await again.close();
  }
  if (problems.length > 0 && said.length > 0) problems.push(`(recovery said: ${said.join(' | ')})`);
  return problems;
}

/** Checks one partition; returns its high watermark (-1 if the partition is gone). */
function checkPartition(engine: StorageEngine, p: number, exp: Expected, r: Random, thorough: boolean, problems: string[]): number {
  const tp = { topic: TOPIC, partition: p };
  const need = exp.mustKeep[p]!;
  const why = `(durable floor ${exp.floors[p]}, last acknowledged ${exp.acked[p]})`;
  if (!engine.partitions().some((x) => x.topic === tp.topic && x.partition === p)) {
    if (need >= 0) problems.push(`partition ${p} is gone, but offsets up to ${need} had to survive ${why}`);
    return -1;
  }
  const hw = Number(engine.highWatermark(tp));
  const start = Number(engine.logStartOffset(tp));
  if (hw <= need) problems.push(`partition ${p}: high watermark ${hw}, but offsets up to ${need} had to survive ${why}`);
  if (start > 0 && need >= 0) problems.push(`partition ${p}: log starts at ${start}, but offsets from 0 to ${need} had to survive ${why}`);
  const batches = readVerified(engine, tp, start, hw, problems);
  if (batches === null) return hw;
  // A read at an offset starts at the batch holding it (the fetch path,
  // unverified: the offset lookups are what is checked here).
  const probed = thorough ? batches : Array.from({ length: Math.min(SAMPLED_BATCHES, batches.length) }, () => batches[int(r, 0, batches.length - 1)]!);
  for (const b of probed) {
    const from = thorough ? b.baseOffset : int(r, b.baseOffset, b.lastOffset);
    const to = thorough ? b.lastOffset : from;
    for (let o = from; o <= to; o++) {
      const { regions } = engine.read(tp, BigInt(o), 1);
      const bytes = readRegions(regions.slice(0, 1));
      releaseLeases(regions);
      const base = bytes.length >= 12 ? Number(bytes.readBigInt64BE(0)) : null;
      if (base !== b.baseOffset) problems.push(`partition ${p}: a read at offset ${o} starts at ${base === null ? 'nothing' : `batch ${base}`}, not ${b.baseOffset}`);
    }
  }
  for (let i = 0; i < Math.min(3, batches.length); i++) {
    const b = batches[int(r, 0, batches.length - 1)]!;
    const o = int(r, b.baseOffset, b.lastOffset);
    // Timestamps grow with offsets: the answer is the batch holding o (an
    // engine answering per batch) or o itself (one answering per record).
    const found = offsetOf(engine.offsetForTime(tp, recordTimestamp(o)));
    if (found !== b.baseOffset && found !== o) problems.push(`partition ${p}: offset for the time of offset ${o} is ${found}, not ${b.baseOffset} (its batch) or ${o}`);
  }
  return hw;
}

/** Every batch from `start` to `hw`, read as a consumer does with verify on; null after a problem. */
function readVerified(engine: StorageEngine, tp: TopicPartition, start: number, hw: number, problems: string[]): Batch[] | null {
  const out: Batch[] = [];
  for (let o = start; o < hw; ) {
    const batches = readAll(engine, tp, o, 16 * 1024, problems);
    if (batches === null) return null;
    if (batches.length === 0) {
      problems.push(`partition ${tp.partition}: no whole batch at offset ${o}, below the high watermark ${hw}`);
      return null;
    }
    for (const b of batches) {
      if (b.baseOffset !== (out.length === 0 ? b.baseOffset : out.at(-1)!.lastOffset + 1) || (out.length === 0 && (b.baseOffset > o || b.lastOffset < o))) {
        problems.push(`partition ${tp.partition}: batch ${b.baseOffset}..${b.lastOffset} follows ${out.at(-1)?.lastOffset ?? `a read at ${o}`}`);
        return null;
      }
      out.push(b);
    }
    o = out.at(-1)!.lastOffset + 1;
  }
  if (out.length > 0 && out.at(-1)!.lastOffset + 1 !== hw) {
    problems.push(`partition ${tp.partition}: batches end at ${out.at(-1)!.lastOffset}, high watermark ${hw}`);
    return null;
  }
  return out;
}

/** The whole batches a verified read returns, each checked independently. */
function readAll(engine: StorageEngine, tp: TopicPartition, offset: number, maxBytes: number, problems: string[]): Batch[] | null {
  let regions;
  const before = problems.length;
  try {
    regions = engine.read(tp, BigInt(offset), maxBytes, { verify: true }).regions;
  } catch (err) {
    problems.push(`partition ${tp.partition}: a verified read at offset ${offset} failed: ${(err as Error).message}`);
    return null;
  }
  const out: Batch[] = [];
  try {
    for (const region of regions) out.push(...checkRegion(readRegions([region]), tp, offset, region.position, problems));
  } finally {
    releaseLeases(regions);
  }
  return problems.length > before ? null : out;
}

/** The whole batches in one region's bytes (a trailing partial batch, cut by maxBytes, left out); stops at a problem. */
function checkRegion(bytes: Buffer, tp: TopicPartition, offset: number, position: number, problems: string[]): Batch[] {
  const out: Batch[] = [];
  for (let at = 0; bytes.length - at >= 61 && at + bytes.readInt32BE(at + 8) + 12 <= bytes.length; ) {
    const b = checkedBatch(bytes, at);
    if (b === null) {
      problems.push(`partition ${tp.partition}: a verified read at offset ${offset} served a corrupt batch at byte ${position + at}`);
      break;
    }
    // Decoding every record of every state is most of a state's cost: a
    // batch whose CRC (checked above), size and base offset were seen
    // before is the same batch.
    const key = `${tp.partition}:${b.baseOffset}:${b.size}:${bytes.readUInt32BE(at + 17)}`;
    if (!rightContent.has(key)) {
      const wrong = wrongContent(bytes.subarray(at, at + b.size), tp.partition);
      if (wrong) {
        problems.push(`partition ${tp.partition}: batch ${b.baseOffset}..${b.lastOffset} served: ${wrong}`);
        break;
      }
      rightContent.add(key);
    }
    out.push(b);
    at += b.size;
  }
  return out;
}

/** The batch the workload appends at `offset` of `partition`, `count` records. */
function batchAt(partition: number, offset: number, count: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: recordValue(partition, offset + i), headers: [], timestamp: recordTimestamp(offset + i) }));
  return encodeBatch({ baseTimestamp: recordTimestamp(offset), records });
}
