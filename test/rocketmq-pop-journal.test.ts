// The pop journal (src/broker/rocketmq/pop-journal.ts) writes what a turn
// of the event loop recorded as one batch before any answer leaves
// (src/protocol/before-answers.ts, which every gRPC answer's write runs), or
// at the end of the turn where no answer does; an ack's answer waits for
// nothing more, except under flush=batch, where its record is written at
// once and the answer waits for the sync.
// Real files: a segmented engine in a temporary directory, replayed by a
// second journal as a restarted broker's.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TopicRegistry } from '../src/broker/topics.js';
import { POP_TOPIC, PopJournal } from '../src/broker/rocketmq/pop-journal.js';
import type { Outstanding } from '../src/broker/rocketmq/queue-state.js';
import { answersLeave } from '../src/protocol/before-answers.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import type { FlushPolicy } from '../src/storage/types.js';
import { tempDir } from './helpers/files.js';

const TP = { topic: POP_TOPIC, partition: 0 };

describe('pop journal writes', () => {
  let tmp: ReturnType<typeof tempDir>;
  const engines: SegmentedEngine[] = [];
  const journals: PopJournal[] = [];
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    for (const j of journals.splice(0)) j.close();
    for (const e of engines.splice(0)) await e.close();
    tmp.cleanup();
  });

  async function open(flush: FlushPolicy): Promise<{ engine: SegmentedEngine; journal: PopJournal }> {
    const engine = new SegmentedEngine({ dir: join(tmp.dir, 'log'), flush });
    engines.push(engine);
    await engine.open();
    const topics = new TopicRegistry(engine, join(tmp.dir, 'topics.json'), { maxPartitionsPerTopic: 100, maxPartitions: 150 });
    topics.open();
    const journal = new PopJournal(engine, topics, (m) => {
      throw new Error(m);
    }, undefined, flush.kind === 'batch');
    journals.push(journal);
    journal.open(() => 0n);
    return { engine, journal };
  }

  const out = (token: string): Outstanding => ({ attempt: 1, deadline: Date.now() + 60_000, token, messageGroup: null, renewFor: null, renewMs: 0, renewUntil: 0, toDeadLetter: false });

  it('writes a turn\'s records as one batch when answers leave, and at the end of a turn where none did; a restart finds them', async () => {
    const { engine, journal } = await open({ kind: 'none' });
    const start = engine.highWatermark(TP);
    // A receive's two deliveries and an ack of another offset, in one turn.
    journal.delivered('g', 'orders', 0, 7, out('t1'));
    journal.delivered('g', 'orders', 0, 8, out('t1'));
    journal.done('g', 'orders', 0, 6);
    expect(journal.stored()).toBeNull();
    expect(engine.highWatermark(TP)).toBe(start);
    answersLeave();
    const afterAnswers = engine.highWatermark(TP);
    expect(afterAnswers).toBeGreaterThan(start);
    // Nothing pending: the next answers write nothing.
    answersLeave();
    expect(engine.highWatermark(TP)).toBe(afterAnswers);
    // No answer leaves in this turn: its end writes the ack.
    journal.done('g', 'orders', 0, 7);
    expect(engine.highWatermark(TP)).toBe(afterAnswers);
    await new Promise(setImmediate);
    expect(engine.highWatermark(TP)).toBeGreaterThan(afterAnswers);

    const replayed = new PopJournal(engine, new TopicRegistry(engine, join(tmp.dir, 'topics.json'), { maxPartitionsPerTopic: 100, maxPartitions: 150 }), () => undefined);
    journals.push(replayed);
    replayed.open(() => 0n);
    const q = replayed.take('g', 'orders', 0)!;
    expect([...q.outstanding.keys()]).toEqual([8]);
    expect(q.outstanding.get(8)!.token).toBe('t1');
    expect([...q.done].sort()).toEqual([6, 7]);
  });

  it('under flush=batch, an ack\'s record is written at once and its answer waits for the sync', async () => {
    const { engine, journal } = await open({ kind: 'batch' });
    const syncs = engine.stats().syncs!;
    const start = engine.highWatermark(TP);
    journal.done('g', 'orders', 0, 3);
    const stored = journal.stored();
    expect(stored).not.toBeNull();
    expect(engine.highWatermark(TP)).toBeGreaterThan(start);
    await stored;
    expect(engine.stats().syncs).toBeGreaterThan(syncs);
    // Asked again with nothing pending: the last write's sync.
    await journal.stored();
  });
});
