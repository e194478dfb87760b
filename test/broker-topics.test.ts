import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppendWatch } from '../src/broker/append-watch.js';
import { randomUUID } from 'node:crypto';
import { Broker } from '../src/broker/broker.js';
import { TopicRegistry } from '../src/broker/topics.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import { tempDir } from './helpers/files.js';

describe('topic registry', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: SegmentedEngine;
  const open = async (): Promise<TopicRegistry> => {
    engine = new SegmentedEngine({ dir: join(tmp.dir, 'log'), flush: { kind: 'none' } });
    await engine.open();
    const r = new TopicRegistry(engine, join(tmp.dir, 'topics.json'), { maxPartitionsPerTopic: 100, maxPartitions: 150 });
    r.open();
    return r;
  };
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    await engine.close();
    tmp.cleanup();
  });

  it('tells what changed since a stamp: topics created, grown or reconfigured, names deleted (mqlab.workers mirrors it)', async () => {
    const r = await open();
    // Deletions are kept only where someone forgets them (node 0 under mqlab.workers).
    r.create('untracked', 1);
    await r.delete('untracked');
    expect(r.changedSince(0).deleted).toEqual([]);
    r.trackDeletions = true;
    r.create('kept', 1);
    r.create('gone', 1);
    const stamp = r.changes;
    expect(r.changedSince(stamp)).toEqual({ changed: [], deleted: [] });
    r.setConfig('kept', 'retention.ms', '5');
    await r.grow('kept', 2);
    await r.delete('gone');
    r.create('again', 1);
    await r.delete('again');
    r.create('again', 1); // deleted and made again: one to make equal, not to delete
    const c = r.changedSince(stamp);
    expect(c.changed.map((t) => [t.name, t.partitions, t.configs])).toEqual([
      ['kept', 2, { 'retention.ms': '5' }],
      ['again', 1, {}],
    ]);
    expect(c.deleted).toEqual(['gone']);
    // Told: deletions up to then are forgotten, changes after are still told.
    r.forgetDeletions(r.changes);
    await r.delete('kept');
    expect(r.changedSince(r.changes - 1)).toEqual({ changed: [], deleted: ['kept'] });
    expect(r.changedSince(stamp).deleted).toEqual(['kept']);
  });

  it('a mirror deletes first: a name made again elsewhere leaves room before the topics that took it are created', async () => {
    const broker = new Broker({ dataDir: tmp.dir, engine: 'segmented', flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: false, numPartitions: 1, settings: { 'mqlab.max.partitions': '100' } });
    engine = broker.engine as SegmentedEngine;
    await broker.open();
    const old = broker.createTopic('y', 60)!;
    // On node 0, y was deleted, z made with its room, and y made again, small, under another id; z comes first in the list.
    const z = { name: 'z', id: randomUUID(), partitions: 60, configs: {}, internal: false };
    const y = { name: 'y', id: randomUUID(), partitions: 1, configs: {}, internal: false };
    await broker.mirrorTopics({ changed: [z, y], deleted: [] });
    expect([broker.topics.get('z')?.id, broker.topics.get('y')?.id, broker.topics.get('y')?.partitions]).toEqual([z.id, y.id, 1]);
    expect(broker.topics.byId(old.id)).toBeUndefined();
    // The same through a whole list (the first mirror after a start).
    await broker.mirrorTopics([{ ...y }]);
    expect(broker.topics.list().filter((t) => !t.internal).map((t) => t.name)).toEqual(['y']);
    await broker.close();
  });

  it('creates, lists, configures and deletes topics, and keeps them across restarts', async () => {
    const r = await open();
    const { id } = r.create('orders', 3, { 'retention.ms': '1000' });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const emptyId = r.create('empty', 1).id;
    expect(emptyId).not.toBe(id);
    r.setConfig('orders', 'cleanup.policy', 'delete');
    expect(engine.partitions()).toHaveLength(4);
    await engine.close();
    const again = await open();
    // The id is the topic's for good: the same after a restart, found by it, and gone with the topic.
    expect(again.get('orders')).toEqual({ name: 'orders', id, partitions: 3, configs: { 'retention.ms': '1000', 'cleanup.policy': 'delete' }, internal: false });
    expect(again.byId(id)?.name).toBe('orders');
    await again.delete('empty');
    expect(again.byId(emptyId)).toBeUndefined();
    expect(again.create('empty', 1).id).not.toBe(emptyId);
    await again.delete('empty');
    expect(again.list().map((t) => t.name)).toEqual(['orders']);
    expect(engine.partitions()).toHaveLength(3);
  });

  it('refuses duplicates, bad names and bad partition counts with Kafka error names', async () => {
    const r = await open();
    r.create('t', 1);
    expect(() => r.create('t', 1)).toThrow(expect.objectContaining({ code: 'TOPIC_ALREADY_EXISTS' }));
    expect(() => r.create('bad name', 1)).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC_EXCEPTION' }));
    expect(() => r.create('u', 0)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITIONS' }));
    expect(() => r.create('u', 101)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITIONS' }));
    await expect(r.delete('nope')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // checkCreate (CreateTopics' validateOnly) refuses the same, and creates nothing when it does not.
    expect(() => r.checkCreate('t', 1)).toThrow(expect.objectContaining({ code: 'TOPIC_ALREADY_EXISTS' }));
    expect(() => r.checkCreate('bad name', 1)).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC_EXCEPTION' }));
    expect(() => r.checkCreate('u', 101)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITIONS' }));
    r.checkCreate('u', 2);
    expect([r.get('u'), engine.partitions().length]).toEqual([undefined, 1]);
  });

  it('bounds the partitions of all topics together (mqlab.max.partitions): a create or a growth past it makes nothing', async () => {
    const r = await open();
    r.create('a', 100);
    r.create('b', 40);
    expect(() => r.create('c', 11)).toThrow(expect.objectContaining({ code: 'POLICY_VIOLATION', message: expect.stringMatching(/151 partitions, more than mqlab.max.partitions \(150\)/) }));
    expect(() => r.checkCreate('c', 11)).toThrow(expect.objectContaining({ code: 'POLICY_VIOLATION' }));
    await expect(r.grow('b', 51)).rejects.toMatchObject({ code: 'POLICY_VIOLATION' });
    expect([r.get('c'), r.get('b')!.partitions, engine.partitions().length]).toEqual([undefined, 40, 140]);
    r.create('c', 10);
    await r.delete('a');
    await r.grow('b', 51);
    expect(r.partitionCount()).toBe(61);
  });

  it('answers a partition the disk will not make with KAFKA_STORAGE_ERROR, and keeps none of the topic', async () => {
    const r = await open();
    // A regular file where partition 1's directory goes: the engine's mkdir fails there, as on a failing disk.
    writeFileSync(join(tmp.dir, 'log', 'broken-1'), '');
    expect(() => r.create('broken', 3)).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringMatching(/creating partition 1 of "broken" failed/) }));
    expect([r.get('broken'), engine.partitions().filter((tp) => tp.topic === 'broken')]).toEqual([undefined, []]);
    r.create('fine', 2);
    expect(engine.partitions().map((tp) => tp.topic)).toEqual(['fine', 'fine']);
  });

  it('recovers topics the engine holds but the file lost', async () => {
    const r = await open();
    r.create('kept', 2);
    await engine.close();
    writeFileSync(join(tmp.dir, 'topics.json'), '[]');
    const again = await open();
    expect(again.get('kept')?.partitions).toBe(2);
  });

  it('gives a topic saved before topic ids one at startup, and keeps it', async () => {
    const r = await open();
    r.create('old', 1);
    await engine.close();
    writeFileSync(join(tmp.dir, 'topics.json'), JSON.stringify([{ name: 'old', partitions: 1, configs: {}, internal: false }]));
    const id = (await open()).get('old')!.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await engine.close();
    expect((await open()).get('old')!.id).toBe(id);
  });
});

describe('append watch', () => {
  it('wakes a waiter on an append to a key it waits on, and times out otherwise', async () => {
    const w = new AppendWatch();
    const woken = w.wait(['a-0', 'b-0'], 5000);
    w.notify('c-0');
    w.notify('b-0');
    expect(await woken).toBe('append');
    expect(await w.wait(['a-0'], 20)).toBe('timeout');
    expect(w.waiting).toBe(0);
  });
});
