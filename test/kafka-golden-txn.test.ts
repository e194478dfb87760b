// The transaction APIs against independent implementations of their wire
// formats, sent to a running broker on each engine: @platformatic/kafka's
// per-version modules for the flexible versions (InitProducerId v3-v5,
// AddPartitionsToTxn v3-v4, AddOffsetsToTxn v3-v4, TxnOffsetCommit v3-v4,
// EndTxn v3-v4, DescribeTransactions v0, ListTransactions v0-v1, and Produce
// v11, Fetch v12-v17 and OffsetFetch v8-v9 around them), with the versions
// it lacks (InitProducerId v2, and v2 of AddPartitionsToTxn, TxnOffsetCommit
// and EndTxn) written here from Kafka's JSON with the library's Writer and
// Reader; and kafkajs's own request and response modules for v0-v1 of all
// five producer APIs. The parsed answers and the broker's state (the
// coordinator's view, the committed offsets, the log) are checked.
import { createRequire } from 'node:module';
import {
  addOffsetsToTxnV1,
  addOffsetsToTxnV2,
  addOffsetsToTxnV3,
  addOffsetsToTxnV4,
  addPartitionsToTxnV3,
  addPartitionsToTxnV4,
  createAPI,
  describeTransactionsV0,
  endTxnV3,
  endTxnV4,
  fetchV12,
  fetchV13,
  fetchV14,
  fetchV15,
  fetchV16,
  fetchV17,
  initProducerIdV3,
  initProducerIdV4,
  initProducerIdV5,
  joinGroupV9,
  listTransactionsV0,
  listTransactionsV1,
  offsetFetchV8,
  offsetFetchV9,
  produceV11,
  syncGroupV5,
  txnOffsetCommitV3,
  txnOffsetCommitV4,
  Writer,
  type Connection,
  type Reader,
} from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { call, callAllowingErrors, closePlatformatic, openPlatformatic, type VersionedApi } from './helpers/platformatic.js';
import { RawClient } from './helpers/raw-client.js';

// Kafka's error codes, by number: this file checks the wire, not mqlab's table.
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const INVALID_REQUEST = 42;
const INVALID_PRODUCER_EPOCH = 47;
const INVALID_TXN_STATE = 48;
const INVALID_PRODUCER_ID_MAPPING = 49;
const INVALID_TRANSACTION_TIMEOUT = 50;
const OPERATION_NOT_ATTEMPTED = 55;
const UNSTABLE_OFFSET_COMMIT = 88;
const PRODUCER_FENCED = 90;
const TRANSACTIONAL_ID_NOT_FOUND = 105;

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;

// ---- the versions @platformatic/kafka does not implement, from Kafka's JSON, with its Writer and Reader ----

/** InitProducerId v2 (the first flexible version): TransactionalId, TransactionTimeoutMs; the answer as v3's. */
const initProducerIdV2: VersionedApi = {
  api: createAPI(22, 2, (transactionalId: string | null, timeoutMs: number) => Writer.create().appendString(transactionalId, true).appendInt32(timeoutMs).appendTaggedFields(), initProducerIdV3.parseResponse) as never,
};

/** AddPartitionsToTxn v2 (not flexible): as v0-1. */
const addPartitionsToTxnV2: VersionedApi = {
  api: createAPI(
    24,
    2,
    (id: string, producerId: bigint, epoch: number, topics: { name: string; partitions: number[] }[]) =>
      Writer.create()
        .appendString(id, false)
        .appendInt64(producerId)
        .appendInt16(epoch)
        .appendArray(topics, (w, t) => w.appendString(t.name, false).appendArray(t.partitions, (w, p) => w.appendInt32(p), false, false), false, false),
    (_c: number, _k: number, _v: number, r: Reader) => ({
      throttleTimeMs: r.readInt32(),
      results: r.readArray((r) => ({ name: r.readString(false), results: r.readArray((r) => ({ partitionIndex: r.readInt32(), errorCode: r.readInt16() }), false, false) }), false, false),
    }),
    false,
    false,
  ) as never,
};

/** EndTxn v2 (not flexible). */
const endTxnV2: VersionedApi = {
  api: createAPI(
    26,
    2,
    (id: string, producerId: bigint, epoch: number, committed: boolean) => Writer.create().appendString(id, false).appendInt64(producerId).appendInt16(epoch).appendBoolean(committed),
    (_c: number, _k: number, _v: number, r: Reader) => ({ throttleTimeMs: r.readInt32(), errorCode: r.readInt16() }),
    false,
    false,
  ) as never,
};

/** TxnOffsetCommit v2 (not flexible; CommittedLeaderEpoch from v2). */
const txnOffsetCommitV2: VersionedApi = {
  api: createAPI(
    28,
    2,
    (id: string, group: string, producerId: bigint, epoch: number, topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[] }[]) =>
      Writer.create()
        .appendString(id, false)
        .appendString(group, false)
        .appendInt64(producerId)
        .appendInt16(epoch)
        .appendArray(
          topics,
          (w, t) =>
            w.appendString(t.name, false).appendArray(
              t.partitions,
              (w, p) => w.appendInt32(p.partitionIndex).appendInt64(p.committedOffset).appendInt32(p.committedLeaderEpoch).appendString(p.committedMetadata, false),
              false,
              false,
            ),
          false,
          false,
        ),
    (_c: number, _k: number, _v: number, r: Reader) => ({
      throttleTimeMs: r.readInt32(),
      topics: r.readArray((r) => ({ name: r.readString(false), partitions: r.readArray((r) => ({ partitionIndex: r.readInt32(), errorCode: r.readInt16() }), false, false) }), false, false),
    }),
    false,
    false,
  ) as never,
};

// ---- kafkajs's request and response modules (v0-v1), over a raw socket ----

const require = createRequire(import.meta.url);
interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<unknown>;
}

class Kafkajs {
  private correlationId = 1;
  constructor(private readonly raw: RawClient) {}

  /** kafkajs encodes the request (framing included); its response module decodes the answer. */
  async call<T = any>(api: string, version: number, args: object): Promise<T> {
    const request = require(`kafkajs/src/protocol/requests/${api}/v${version}/request`)(args) as KafkajsRequest;
    expect(request.apiVersion).toBe(version);
    const frame = require('kafkajs/src/protocol/request') as (o: { correlationId: number; clientId: string; request: KafkajsRequest }) => Promise<{ buffer: Buffer }>;
    const correlationId = this.correlationId++;
    this.raw.send((await frame({ correlationId, clientId: 'kafkajs-golden', request })).buffer);
    const answer = await this.raw.next();
    if (!answer) throw new Error(`the broker closed the connection after ${api} v${version}`);
    expect(answer.readInt32BE(0)).toBe(correlationId);
    const response = require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as { decode(b: Buffer): Promise<T> };
    return response.decode(answer.subarray(4));
  }
}

// ---- helpers ----

type Msg = { topic: string; partition: number; key?: Buffer; value: Buffer };

/** A transactional batch through Produce v11, platformatic's encoder (its record batch with the transactional bit). */
async function produceTxn(c: Connection, id: string, producerId: bigint, producerEpoch: number, baseSequence: number, topic: string, partition: number, values: string[]): Promise<bigint> {
  const messages: Msg[] = values.map((v) => ({ topic, partition, value: Buffer.from(v), timestamp: 1_700_000_000_000n }) as Msg);
  const r = await call(c, produceV11, -1, 5000, messages, { producerId, producerEpoch, transactionalId: id, sequences: { getWithDefault: () => baseSequence } });
  const p = r.responses[0].partitionResponses[0];
  expect(p).toMatchObject({ index: partition, errorCode: 0 });
  return p.baseOffset as bigint;
}

interface ParsedBatch {
  firstOffset: bigint;
  attributes: number;
  producerId: bigint;
  records: { offsetDelta: number; key: Buffer | null; value: Buffer | null }[];
}

/** The data records of parsed batches as "offset:value", and the control batches as "commit@offset" / "abort@offset". */
function contents(batches: ParsedBatch[] | undefined): { values: string[]; markers: string[] } {
  const values: string[] = [];
  const markers: string[] = [];
  for (const b of batches ?? []) {
    if (b.attributes & IS_CONTROL) {
      expect(b.attributes & IS_TRANSACTIONAL).toBe(IS_TRANSACTIONAL);
      markers.push(`${b.records[0]!.key!.readInt16BE(2) === 1 ? 'commit' : 'abort'}@${b.firstOffset}`);
    } else for (const r of b.records) values.push(`${b.firstOffset + BigInt(r.offsetDelta)}:${r.value!.toString()}`);
  }
  return { values, markers };
}

const FETCHES: [number, VersionedApi][] = [
  [12, fetchV12],
  [13, fetchV13],
  [14, fetchV14],
  [15, fetchV15],
  [16, fetchV16],
  [17, fetchV17],
];

describe.each(['segmented', 'commitlog'])('transaction APIs, golden (%s)', (engine) => {
  let broker: TestBroker;
  let c: Connection;
  let member: Connection;
  const txns = () => broker.broker.transactions.coordinator;

  beforeAll(async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine });
    broker.broker.topics.create('out', 2);
    broker.broker.topics.create('in', 2);
    c = await openPlatformatic(broker.port);
    member = await openPlatformatic(broker.port, 'golden-member');
  });
  afterAll(async () => {
    await closePlatformatic(c);
    await closePlatformatic(member);
    await broker.destroy();
  });

  /** A group with one member, joined (JoinGroup v9 with KIP-394's round) but not yet synced: CompletingRebalance. */
  async function joiningGroup(group: string): Promise<{ memberId: string; generationId: number }> {
    const protocols = [{ name: 'range', metadata: Buffer.from('sub') }];
    const join = (memberId: string) => callAllowingErrors(member, joinGroupV9, group, 60_000, 60_000, memberId, null, 'consumer', protocols, 'golden');
    const first = await join('');
    const joined = await join(first.memberId);
    expect(joined.errorCode).toBe(0);
    expect(broker.broker.coordinator.describe(group).state).toBe('CompletingRebalance');
    return { memberId: joined.memberId, generationId: joined.generationId };
  }

  /** A group with one member (joined, then SyncGroup v5): its member id and generation. */
  async function joinedGroup(group: string): Promise<{ memberId: string; generationId: number }> {
    const joined = await joiningGroup(group);
    await call(member, syncGroupV5, group, joined.generationId, joined.memberId, null, 'consumer', 'range', [{ memberId: joined.memberId, assignment: Buffer.from('a') }]);
    expect(broker.broker.coordinator.describe(group).state).toBe('Stable');
    return { memberId: joined.memberId, generationId: joined.generationId };
  }

  /** A fresh transactional id's producer id and epoch, through InitProducerId v5. */
  async function init(id: string): Promise<{ pid: bigint; epoch: number }> {
    const r = await call(c, initProducerIdV5, id, 60_000, -1n, -1);
    return { pid: r.producerId, epoch: r.producerEpoch };
  }

  it('InitProducerId v2-v5: one producer id per transactional id, each call bumps its epoch; v3+ resume; stale resumes fenced', async () => {
    const v2 = await call(c, initProducerIdV2, 'ip', 60_000);
    expect(v2).toMatchObject({ throttleTimeMs: 0, errorCode: 0, producerEpoch: 0 });
    const pid: bigint = v2.producerId;
    expect(pid).toBeGreaterThanOrEqual(0n);
    expect(txns().describe('ip')).toMatchObject({ producerId: pid, producerEpoch: 0, state: 'Empty', timeoutMs: 60_000 });
    // v3 without an id and epoch: a new instance of the id, the epoch bumped.
    expect(await call(c, initProducerIdV3, 'ip', 30_000, -1n, -1)).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: pid, producerEpoch: 1 });
    // KIP-360: resuming with the current id and epoch bumps it once more.
    expect(await call(c, initProducerIdV4, 'ip', 30_000, pid, 1)).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: pid, producerEpoch: 2 });
    expect(await call(c, initProducerIdV5, 'ip', 30_000, pid, 2)).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: pid, producerEpoch: 3 });
    // A stale resume: PRODUCER_FENCED from v4 (where it appeared), INVALID_PRODUCER_EPOCH before.
    const stale = { throttleTimeMs: 0, producerId: -1n, producerEpoch: -1 };
    expect(await callAllowingErrors(c, initProducerIdV5, 'ip', 30_000, pid, 1)).toEqual({ ...stale, errorCode: PRODUCER_FENCED });
    expect(await callAllowingErrors(c, initProducerIdV4, 'ip', 30_000, pid, 0)).toEqual({ ...stale, errorCode: PRODUCER_FENCED });
    expect(await callAllowingErrors(c, initProducerIdV3, 'ip', 30_000, pid, 0)).toEqual({ ...stale, errorCode: INVALID_PRODUCER_EPOCH });
    expect(await callAllowingErrors(c, initProducerIdV5, 'ip', 30_000, pid + 1000n, 3)).toEqual({ ...stale, errorCode: PRODUCER_FENCED });
    expect(txns().describe('ip')).toMatchObject({ producerId: pid, producerEpoch: 3, timeoutMs: 30_000 });
    // Half a pair, an over-long timeout, an empty id.
    expect((await callAllowingErrors(c, initProducerIdV5, 'ip', 30_000, pid, -1)).errorCode).toBe(INVALID_REQUEST);
    expect((await callAllowingErrors(c, initProducerIdV5, 'ip', 900_001, -1n, -1)).errorCode).toBe(INVALID_TRANSACTION_TIMEOUT);
    expect((await callAllowingErrors(c, initProducerIdV5, '', 30_000, -1n, -1)).errorCode).toBe(INVALID_REQUEST);
    // A null id: an idempotent producer, a new producer id at epoch 0 each time, in every version.
    const idempotent = [await call(c, initProducerIdV2, null, 30_000), await call(c, initProducerIdV3, null, 30_000, -1n, -1), await call(c, initProducerIdV5, null, 30_000, -1n, -1)];
    expect(idempotent.map((r) => r.producerEpoch)).toEqual([0, 0, 0]);
    expect(new Set([pid, ...idempotent.map((r) => r.producerId)]).size).toBe(4);
    expect(txns().describe('ip')!.producerEpoch).toBe(3);
  });

  // KIP-360: a resume whose answer was lost is retried with the epoch it bumped from. Kafka's coordinator
  // keeps that last epoch and answers the current one again, unbumped (TransactionMetadata.
  // prepareIncrementProducerEpoch: "it is a retry of a successful call, so just return the current epoch
  // without bumping"); a new instance (no id and epoch) sets the last epoch to -1, after which such a retry
  // is fenced.
  it('InitProducerId v3-v5: a retried resume (naming the epoch it bumped from) answers the current epoch again, as Kafka', async () => {
    const pid: bigint = (await call(c, initProducerIdV5, 'retry', 30_000, -1n, -1)).producerId; // epoch 0
    expect(await call(c, initProducerIdV5, 'retry', 30_000, pid, 0)).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: pid, producerEpoch: 1 });
    // The same request again, as after a lost answer.
    expect(await callAllowingErrors(c, initProducerIdV5, 'retry', 30_000, pid, 0)).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: pid, producerEpoch: 1 });
    expect(txns().describe('retry')!.producerEpoch).toBe(1);
    expect(await call(c, initProducerIdV3, 'retry', 30_000, -1n, -1)).toMatchObject({ errorCode: 0, producerEpoch: 2 });
    expect((await callAllowingErrors(c, initProducerIdV5, 'retry', 30_000, pid, 1)).errorCode).toBe(PRODUCER_FENCED);
  });

  // Kafka enforces no group state for transactional commits (ClassicGroup.validateOffsetCommit: the
  // CompletingRebalance check "does not apply to transactional offset commits").
  it('TxnOffsetCommit v4 from a member of the current generation while the group completes its rebalance commits, as Kafka', async () => {
    const group = 'completing';
    const { memberId, generationId } = await joiningGroup(group);
    const { pid, epoch } = await init('completing');
    expect((await call(c, addOffsetsToTxnV4, 'completing', pid, epoch, group)).errorCode).toBe(0);
    const r = await callAllowingErrors(c, txnOffsetCommitV4, 'completing', group, pid, epoch, generationId, memberId, null, [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 6n, committedLeaderEpoch: -1, committedMetadata: null }] }]);
    expect(r.topics[0].partitions[0].errorCode).toBe(0);
    expect((await call(c, endTxnV4, 'completing', pid, epoch, true)).errorCode).toBe(0);
    expect(broker.broker.coordinator.committed(group, 'in', 0).offset).toBe(6n);
  });

  const FLEXIBLE = [
    [3, { addPartitions: addPartitionsToTxnV3, addOffsets: addOffsetsToTxnV3, commit: txnOffsetCommitV3, end: endTxnV3 }],
    [4, { addPartitions: addPartitionsToTxnV4, addOffsets: addOffsetsToTxnV4, commit: txnOffsetCommitV4, end: endTxnV4 }],
  ] as const;

  it.each(FLEXIBLE)('a whole transaction at v%i: add partitions, produce, add offsets, commit offsets (with the group member), end', async (v, api) => {
    const id = `whole-${v}`;
    const group = `g-${v}`;
    const { memberId, generationId } = await joinedGroup(group);
    const { pid, epoch } = await init(id);
    const hw0 = broker.broker.engine.highWatermark({ topic: 'out', partition: 0 });

    const added = await call(c, api.addPartitions, [{ transactionalId: id, producerId: pid, producerEpoch: epoch, verifyOnly: false, topics: [{ name: 'out', partitions: [0, 1] }] }]);
    // v3 answers one transaction's results by topic (the library fills in an empty id); v4 names each transaction.
    expect(added.resultsByTransaction).toEqual([
      {
        transactionalId: v >= 4 ? id : '',
        topicResults: [
          {
            name: 'out',
            resultsByPartition: [
              { partitionIndex: 0, partitionErrorCode: 0 },
              { partitionIndex: 1, partitionErrorCode: 0 },
            ],
          },
        ],
      },
    ]);
    expect(txns().describe(id)).toMatchObject({ state: 'Ongoing', partitions: new Set(['out\u00000', 'out\u00001']) });

    const first = await produceTxn(c, id, pid, epoch, 0, 'out', 0, ['t0', 't1']);
    expect(first).toBe(hw0);
    expect(await produceTxn(c, id, pid, epoch, 2, 'out', 0, ['t2'])).toBe(hw0 + 2n);

    expect(await call(c, api.addOffsets, id, pid, epoch, group)).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(txns().describe(id)!.groups).toEqual(new Set([group]));

    const offsets = (offset: bigint) => [{ name: 'in', partitions: [{ partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: 3, committedMetadata: `m${v}` }] }];
    // The member is checked as OffsetCommit checks it: an unknown member, a wrong generation.
    const wrongMember = await callAllowingErrors(c, api.commit, id, group, pid, epoch, generationId, 'nobody', null, offsets(1n));
    expect(wrongMember.topics).toEqual([{ name: 'in', partitions: [{ partitionIndex: 1, errorCode: UNKNOWN_MEMBER_ID }] }]);
    const wrongGeneration = await callAllowingErrors(c, api.commit, id, group, pid, epoch, generationId + 1, memberId, null, offsets(1n));
    expect(wrongGeneration.topics[0].partitions[0].errorCode).toBe(ILLEGAL_GENERATION);
    const unknown = await callAllowingErrors(c, api.commit, id, group, pid, epoch, generationId, memberId, null, [{ name: 'in', partitions: [{ partitionIndex: 7, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }]);
    expect(unknown.topics[0].partitions[0].errorCode).toBe(UNKNOWN_TOPIC_OR_PARTITION);
    const committed = await call(c, api.commit, id, group, pid, epoch, generationId, memberId, null, offsets(42n));
    expect(committed).toEqual({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] });
    // Pending until the transaction commits: the group still has nothing, RequireStable says so.
    expect(broker.broker.coordinator.committed(group, 'in', 1).offset).toBe(-1n);
    expect(txns().describe(id)!.offsets).toEqual([{ group, topic: 'in', partition: 1, offset: 42n, metadata: `m${v}`, leaderEpoch: 3 }]);
    const stable = (api: VersionedApi, requireStable: boolean) => call(c, api, [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'in', partitionIndexes: [0, 1] }] }], requireStable);
    for (const fetchApi of [offsetFetchV8, offsetFetchV9]) {
      const held = await callAllowingErrors(c, fetchApi, [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'in', partitionIndexes: [0, 1] }] }], true);
      expect(held.groups[0].topics[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([0, UNSTABLE_OFFSET_COMMIT]);
      const unstable = await stable(fetchApi, false);
      expect(unstable.groups[0].topics[0].partitions[1]).toMatchObject({ committedOffset: -1n, errorCode: 0 });
    }

    // read_committed stops at the transaction's first offset; read_uncommitted sees it.
    const fetchOut = async (isolation: number) =>
      (await call(c, fetchV12, 0, 0, 1 << 20, isolation, 0, -1, [{ topicId: 'out', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: hw0, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], [], '')).responses[0].partitions[0];
    let p = await fetchOut(1);
    expect([p.highWatermark, p.lastStableOffset, p.abortedTransactions, p.records]).toEqual([hw0 + 3n, hw0, [], undefined]);
    p = await fetchOut(0);
    expect(contents(p.records).values).toEqual([`${hw0}:t0`, `${hw0 + 1n}:t1`, `${hw0 + 2n}:t2`]);
    expect(p.records.every((b: ParsedBatch) => b.attributes & IS_TRANSACTIONAL && b.producerId === pid)).toBe(true);

    expect(await call(c, api.end, id, pid, epoch, true)).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(txns().describe(id)).toMatchObject({ state: 'CompleteCommit', partitions: new Set(), groups: new Set(), offsets: [] });
    expect(broker.broker.coordinator.committed(group, 'in', 1)).toEqual({ offset: 42n, metadata: `m${v}`, leaderEpoch: 3 });
    expect((await stable(offsetFetchV9, true)).groups[0].topics[0].partitions[1]).toEqual({ partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: 3, metadata: `m${v}`, errorCode: 0 });
    p = await fetchOut(1);
    // The marker only where the producer wrote: partition 1 was added but has no data.
    expect([p.highWatermark, p.lastStableOffset, p.abortedTransactions]).toEqual([hw0 + 4n, hw0 + 4n, []]);
    expect(contents(p.records)).toEqual({ values: [`${hw0}:t0`, `${hw0 + 1n}:t1`, `${hw0 + 2n}:t2`], markers: [`commit@${hw0 + 3n}`] });
    expect(broker.broker.engine.highWatermark({ topic: 'out', partition: 1 })).toBe(0n);

    // A retried EndTxn of the same outcome is NONE; of the other, INVALID_TXN_STATE; a stale epoch, PRODUCER_FENCED.
    expect((await call(c, api.end, id, pid, epoch, true)).errorCode).toBe(0);
    expect((await callAllowingErrors(c, api.end, id, pid, epoch, false)).errorCode).toBe(INVALID_TXN_STATE);
    expect((await callAllowingErrors(c, api.end, id, pid, epoch - 1, true)).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, api.end, id, pid + 1000n, epoch, true)).errorCode).toBe(INVALID_PRODUCER_ID_MAPPING);
    // Offsets outside a transaction with the group added: INVALID_TXN_STATE.
    expect((await callAllowingErrors(c, api.commit, id, group, pid, epoch, generationId, memberId, null, offsets(50n))).topics[0].partitions[0].errorCode).toBe(INVALID_TXN_STATE);
  });

  // The same rule at v3-v4 (see the kafkajs v0-v1 cases below): a request naming no member (generation -1,
  // no member id, no instance id) is not checked against the group's members.
  it.each(FLEXIBLE)('TxnOffsetCommit v%i naming no member commits for a group that has members (as Kafka)', async (v, api) => {
    const id = `nomember-${v}`;
    const group = `nomember-g-${v}`;
    await joinedGroup(group);
    const { pid, epoch } = await init(id);
    expect((await call(c, api.addOffsets, id, pid, epoch, group)).errorCode).toBe(0);
    const r = await callAllowingErrors(c, api.commit, id, group, pid, epoch, -1, '', null, [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }]);
    expect(r.topics[0].partitions[0].errorCode).toBe(0);
    expect((await call(c, api.end, id, pid, epoch, true)).errorCode).toBe(0);
    expect(broker.broker.coordinator.committed(group, 'in', 0).offset).toBe(3n);
  });

  it('AddPartitionsToTxn v4: several transactions in one request, VerifyOnly checks without adding', async () => {
    const x = await init('batch-x');
    const y = await init('batch-y');
    const tx = (id: string, t: { pid: bigint; epoch: number }, verifyOnly: boolean, partitions: number[], topic = 'out') => ({ transactionalId: id, producerId: t.pid, producerEpoch: t.epoch, verifyOnly, topics: [{ name: topic, partitions }] });
    const results = (r: any) => r.resultsByTransaction.map((t: any) => [t.transactionalId, t.topicResults.flatMap((tr: any) => tr.resultsByPartition.map((p: any) => `${tr.name}-${p.partitionIndex}:${p.partitionErrorCode}`))]);

    let r = await callAllowingErrors(c, addPartitionsToTxnV4, [tx('batch-x', x, false, [0]), tx('batch-y', y, true, [0])]);
    expect(r.errorCode).toBe(0);
    expect(results(r)).toEqual([
      ['batch-x', ['out-0:0']],
      ['batch-y', [`out-0:${INVALID_TXN_STATE}`]], // not in y's transaction (y has none open)
    ]);
    r = await callAllowingErrors(c, addPartitionsToTxnV4, [tx('batch-y', y, false, [1]), tx('batch-x', x, true, [0, 1])]);
    expect(results(r)).toEqual([
      ['batch-y', ['out-1:0']],
      ['batch-x', ['out-0:0', `out-1:${INVALID_TXN_STATE}`]],
    ]);
    // VerifyOnly added nothing.
    expect(txns().describe('batch-x')!.partitions).toEqual(new Set(['out\u00000']));
    expect(txns().describe('batch-y')!.partitions).toEqual(new Set(['out\u00001']));

    // A stale epoch (PRODUCER_FENCED from v2 on), an unknown producer id, an unknown partition (the rest not attempted).
    r = await callAllowingErrors(c, addPartitionsToTxnV4, [
      tx('batch-x', { pid: x.pid, epoch: x.epoch - 1 }, false, [1]),
      tx('batch-y', { pid: y.pid + 1000n, epoch: y.epoch }, false, [0]),
      { transactionalId: 'batch-y', producerId: y.pid, producerEpoch: y.epoch, verifyOnly: false, topics: [{ name: 'out', partitions: [0] }, { name: 'missing', partitions: [0] }] },
    ]);
    expect(results(r)).toEqual([
      ['batch-x', [`out-1:${PRODUCER_FENCED}`]],
      ['batch-y', [`out-0:${INVALID_PRODUCER_ID_MAPPING}`]],
      ['batch-y', [`out-0:${OPERATION_NOT_ATTEMPTED}`, `missing-0:${UNKNOWN_TOPIC_OR_PARTITION}`]],
    ]);
    expect(txns().describe('batch-y')!.partitions).toEqual(new Set(['out\u00001']));
    // v3 answers the same per partition.
    const v3 = await callAllowingErrors(c, addPartitionsToTxnV3, [tx('batch-x', { pid: x.pid, epoch: x.epoch - 1 }, false, [1])]);
    expect(results(v3)).toEqual([['', [`out-1:${PRODUCER_FENCED}`]]]);
    for (const [id, t] of [['batch-x', x], ['batch-y', y]] as const) expect((await call(c, endTxnV4, id, t.pid, t.epoch, false)).errorCode).toBe(0);
    expect([txns().describe('batch-x')!.state, txns().describe('batch-y')!.state]).toEqual(['CompleteAbort', 'CompleteAbort']);
  });

  it('Fetch v12-v17 read_committed: the last stable offset at an open transaction, the aborted transaction listed while a fetch can meet it', async () => {
    const topic = `ab-${engine}`;
    const topicId = broker.broker.topics.create(topic, 1).id;
    const a = await init('aborter');
    const b = await init('holder');
    await broker.broker.produce(topic, 0, numberedBatch('plain', 1)); // 0
    await call(c, addPartitionsToTxnV4, [{ transactionalId: 'aborter', producerId: a.pid, producerEpoch: a.epoch, verifyOnly: false, topics: [{ name: topic, partitions: [0] }] }]);
    expect(await produceTxn(c, 'aborter', a.pid, a.epoch, 0, topic, 0, ['a0', 'a1'])).toBe(1n); // 1-2
    expect((await call(c, endTxnV4, 'aborter', a.pid, a.epoch, false)).errorCode).toBe(0); // abort marker at 3
    await broker.broker.produce(topic, 0, numberedBatch('mid', 1)); // 4
    await call(c, addPartitionsToTxnV3, [{ transactionalId: 'holder', producerId: b.pid, producerEpoch: b.epoch, topics: [{ name: topic, partitions: [0] }] }]);
    expect(await produceTxn(c, 'holder', b.pid, b.epoch, 0, topic, 0, ['b0', 'b1'])).toBe(5n); // 5-6, open
    await broker.broker.produce(topic, 0, numberedBatch('late', 1)); // 7

    for (const [v, api] of FETCHES) {
      const fetch = async (fetchOffset: bigint, isolation = 1) =>
        (await call(c, api, 0, 0, 1 << 20, isolation, 0, -1, [{ topicId: v >= 13 ? topicId : topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], [], '')).responses[0]
          .partitions[0];
      let p = await fetch(0n);
      expect([v, p.highWatermark, p.lastStableOffset, p.abortedTransactions], `v${v}`).toEqual([v, 8n, 5n, [{ producerId: a.pid, firstOffset: 1n }]]);
      expect(contents(p.records), `v${v}`).toEqual({ values: ['0:plain-0', '1:a0', '2:a1', '4:mid-0'], markers: ['abort@3'] });
      // From the marker itself the aborted transaction is still listed (the marker ends it); past it, not.
      p = await fetch(3n);
      expect([p.abortedTransactions, contents(p.records)], `v${v}`).toEqual([[{ producerId: a.pid, firstOffset: 1n }], { values: ['4:mid-0'], markers: ['abort@3'] }]);
      p = await fetch(4n);
      expect([p.abortedTransactions, contents(p.records).values], `v${v}`).toEqual([[], ['4:mid-0']]);
      // At the last stable offset: nothing yet.
      p = await fetch(5n);
      expect([p.errorCode, p.lastStableOffset, p.records], `v${v}`).toEqual([0, 5n, undefined]);
      // read_uncommitted: everything to the high watermark.
      p = await fetch(0n, 0);
      expect([p.highWatermark, p.lastStableOffset, contents(p.records).values], `v${v}`).toEqual([8n, 5n, ['0:plain-0', '1:a0', '2:a1', '4:mid-0', '5:b0', '6:b1', '7:late-0']]);
    }

    expect((await call(c, endTxnV3, 'holder', b.pid, b.epoch, true)).errorCode).toBe(0); // commit marker at 8
    const p = (await call(c, fetchV17, 0, 0, 1 << 20, 1, 0, -1, [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 4n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], [], '')).responses[0].partitions[0];
    expect([p.highWatermark, p.lastStableOffset, p.abortedTransactions]).toEqual([9n, 9n, []]);
    expect(contents(p.records)).toEqual({ values: ['4:mid-0', '5:b0', '6:b1', '7:late-0'], markers: ['commit@8'] });
  });

  it('fencing: InitProducerId of a new instance aborts the open transaction; the old epoch is refused, by version', async () => {
    const old = await init('zombie');
    await call(c, addPartitionsToTxnV4, [{ transactionalId: 'zombie', producerId: old.pid, producerEpoch: old.epoch, verifyOnly: false, topics: [{ name: 'out', partitions: [1] }] }]);
    const hw = broker.broker.engine.highWatermark({ topic: 'out', partition: 1 });
    await produceTxn(c, 'zombie', old.pid, old.epoch, 0, 'out', 1, ['z']);
    const fresh = await call(c, initProducerIdV5, 'zombie', 60_000, -1n, -1);
    // One bump to abort the open transaction (its marker fences the partition), one for the new instance.
    expect(fresh).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: old.pid, producerEpoch: old.epoch + 2 });
    expect(txns().describe('zombie')!.state).toBe('Empty');
    const stale = [old.pid, old.epoch] as const;
    const r = await callAllowingErrors(c, produceV11, -1, 5000, [{ topic: 'out', partition: 1, value: Buffer.from('late') }], { producerId: old.pid, producerEpoch: old.epoch, transactionalId: 'zombie', sequences: { getWithDefault: () => 1 } });
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(INVALID_PRODUCER_EPOCH);
    expect((await callAllowingErrors(c, endTxnV4, 'zombie', ...stale, true)).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, endTxnV3, 'zombie', ...stale, true)).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, endTxnV2, 'zombie', ...stale, true)).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, addOffsetsToTxnV4, 'zombie', ...stale, 'g')).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, addOffsetsToTxnV3, 'zombie', ...stale, 'g')).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, addOffsetsToTxnV2, 'zombie', ...stale, 'g')).errorCode).toBe(PRODUCER_FENCED);
    expect((await callAllowingErrors(c, addOffsetsToTxnV1, 'zombie', ...stale, 'g')).errorCode).toBe(INVALID_PRODUCER_EPOCH);
    const v2 = await callAllowingErrors(c, addPartitionsToTxnV2, 'zombie', ...stale, [{ name: 'out', partitions: [1] }]);
    expect(v2.results).toEqual([{ name: 'out', results: [{ partitionIndex: 1, errorCode: PRODUCER_FENCED }] }]);
    // TxnOffsetCommit has no PRODUCER_FENCED in any version.
    const commit = await callAllowingErrors(c, txnOffsetCommitV4, 'zombie', 'g', ...stale, -1, '', null, [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }]);
    expect(commit.topics[0].partitions[0].errorCode).toBe(INVALID_PRODUCER_EPOCH);
    // What is in the log: the zombie's record, then the abort marker; read_committed lists the aborted transaction.
    const p = (await call(c, fetchV12, 0, 0, 1 << 20, 1, 0, -1, [{ topicId: 'out', partitions: [{ partition: 0 + 1, currentLeaderEpoch: -1, fetchOffset: hw, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], [], '')).responses[0].partitions[0];
    expect([p.lastStableOffset, p.abortedTransactions, contents(p.records)]).toEqual([hw + 2n, [{ producerId: old.pid, firstOffset: hw }], { values: [`${hw}:z`], markers: [`abort@${hw + 1n}`] }]);
  });

  it('DescribeTransactions v0 and ListTransactions v0-v1: the coordinator as admin clients see it', async () => {
    const open = await init('described');
    const idle = await init('idle');
    await call(c, addPartitionsToTxnV4, [{ transactionalId: 'described', producerId: open.pid, producerEpoch: open.epoch, verifyOnly: false, topics: [{ name: 'out', partitions: [1, 0] }, { name: 'in', partitions: [1] }] }]);
    const started = txns().describe('described')!.startMs;
    expect(started).toBeGreaterThan(0);

    const d = await callAllowingErrors(c, describeTransactionsV0, ['described', 'idle', 'nope']);
    expect(d.transactionStates).toHaveLength(3);
    expect(d.transactionStates[0]).toEqual({
      errorCode: 0,
      transactionalId: 'described',
      transactionState: 'Ongoing',
      transactionTimeoutMs: 60_000,
      transactionStartTimeMs: BigInt(started),
      producerId: open.pid,
      producerEpoch: open.epoch,
      topics: expect.arrayContaining([
        { topic: 'out', partitions: expect.arrayContaining([0, 1]) },
        { topic: 'in', partitions: [1] },
      ]),
    });
    expect(d.transactionStates[0].topics).toHaveLength(2);
    expect(d.transactionStates[1]).toEqual({ errorCode: 0, transactionalId: 'idle', transactionState: 'Empty', transactionTimeoutMs: 60_000, transactionStartTimeMs: -1n, producerId: idle.pid, producerEpoch: idle.epoch, topics: [] });
    expect(d.transactionStates[2]).toMatchObject({ errorCode: TRANSACTIONAL_ID_NOT_FOUND, transactionalId: 'nope' });

    const listed = (r: any) => new Map(r.transactionStates.map((t: any) => [t.transactionalId, [t.producerId, t.transactionState]]));
    const all = await call(c, listTransactionsV0, [], []);
    expect(all).toMatchObject({ throttleTimeMs: 0, errorCode: 0, unknownStateFilters: [] });
    expect(listed(all).get('described')).toEqual([open.pid, 'Ongoing']);
    expect(listed(all).get('idle')).toEqual([idle.pid, 'Empty']);
    expect(listed(all).size).toBe(txns().list().length);

    const ongoing = await call(c, listTransactionsV1, ['Ongoing', 'Bogus'], [], -1n);
    expect(ongoing.unknownStateFilters).toEqual(['Bogus']);
    expect([...listed(ongoing).values()].every((s: any) => s[1] === 'Ongoing')).toBe(true);
    expect(listed(ongoing).has('described')).toBe(true);
    expect([...listed(await call(c, listTransactionsV0, [], [idle.pid])).keys()]).toEqual(['idle']);
    expect([...listed(await call(c, listTransactionsV1, ['Empty'], [idle.pid, open.pid], -1n)).keys()]).toEqual(['idle']);
    // v1's DurationFilter: transactions open at least that long; none has been open for a day.
    const running = listed(await call(c, listTransactionsV1, [], [], 0n));
    expect(running.has('described')).toBe(true);
    expect(running.has('idle')).toBe(false);
    expect(listed(await call(c, listTransactionsV1, [], [], 86_400_000n)).size).toBe(0);
    expect((await call(c, endTxnV4, 'described', open.pid, open.epoch, false)).errorCode).toBe(0);
  });

  it('the v2 versions (Kafka JSON layouts, the library Writer): a transaction committed with its offsets', async () => {
    const { pid, epoch } = await init('v2');
    const added = await call(c, addPartitionsToTxnV2, 'v2', pid, epoch, [{ name: 'out', partitions: [0] }]);
    expect(added).toEqual({ throttleTimeMs: 0, results: [{ name: 'out', results: [{ partitionIndex: 0, errorCode: 0 }] }] });
    const base = await produceTxn(c, 'v2', pid, epoch, 0, 'out', 0, ['v2']);
    expect(await call(c, addOffsetsToTxnV2, 'v2', pid, epoch, 'g-v2')).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    const committed = await call(c, txnOffsetCommitV2, 'v2', 'g-v2', pid, epoch, [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: 4, committedMetadata: 'two' }] }]);
    expect(committed).toEqual({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(await call(c, endTxnV2, 'v2', pid, epoch, true)).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(broker.broker.coordinator.committed('g-v2', 'in', 0)).toEqual({ offset: 9n, metadata: 'two', leaderEpoch: 4 });
    expect(broker.broker.engine.highWatermark({ topic: 'out', partition: 0 })).toBe(base + 2n);
  });

  describe('kafkajs encoders, v0 and v1', () => {
    let raw: RawClient;
    let k: Kafkajs;
    beforeAll(async () => {
      raw = await RawClient.connect(broker.port);
      k = new Kafkajs(raw);
    });
    afterAll(() => raw.close());

    it.each([0, 1])('v%i: init, add partitions, produce, add offsets, commit offsets, commit; then a fenced instance', async (v) => {
      const id = `kjs-${v}`;
      const group = `kjs-g-${v}`;
      const init = await k.call('initProducerId', v, { transactionalId: id, transactionTimeout: 30_000 });
      expect(init).toMatchObject({ throttleTime: 0, errorCode: 0, producerEpoch: 0 });
      const pid = BigInt(init.producerId);
      expect(txns().describe(id)).toMatchObject({ producerId: pid, producerEpoch: 0, timeoutMs: 30_000 });
      const t = { transactionalId: id, producerId: init.producerId, producerEpoch: 0 };

      const added = await k.call('addPartitionsToTxn', v, { ...t, topics: [{ topic: 'out', partitions: [1] }] });
      expect(added).toMatchObject({ throttleTime: 0, errors: [{ topic: 'out', partitionErrors: [{ partition: 1, errorCode: 0 }] }] });
      const base = await produceTxn(c, id, pid, 0, 0, 'out', 1, [`k${v}`]);
      expect(await k.call('addOffsetsToTxn', v, { ...t, groupId: group })).toMatchObject({ throttleTime: 0, errorCode: 0 });
      const offsets = await k.call('txnOffsetCommit', v, { ...t, groupId: group, topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '17', metadata: 'kjs' }] }] });
      expect(offsets).toMatchObject({ throttleTime: 0, topics: [{ topic: 'in', partitions: [{ partition: 0, errorCode: 0 }] }] });
      expect(broker.broker.coordinator.committed(group, 'in', 0).offset).toBe(-1n);
      expect(await k.call('endTxn', v, { ...t, transactionResult: true })).toMatchObject({ throttleTime: 0, errorCode: 0 });
      expect(broker.broker.coordinator.committed(group, 'in', 0)).toMatchObject({ offset: 17n, metadata: 'kjs' });
      expect(broker.broker.engine.highWatermark({ topic: 'out', partition: 1 })).toBe(base + 2n);

      // A second instance fences the first: v0-1 know no PRODUCER_FENCED, they say INVALID_PRODUCER_EPOCH.
      expect(await k.call('initProducerId', v, { transactionalId: id, transactionTimeout: 30_000 })).toMatchObject({ errorCode: 0, producerId: init.producerId, producerEpoch: 1 });
      expect((await k.call('addPartitionsToTxn', v, { ...t, topics: [{ topic: 'out', partitions: [1] }] })).errors[0].partitionErrors[0].errorCode).toBe(INVALID_PRODUCER_EPOCH);
      expect((await k.call('addOffsetsToTxn', v, { ...t, groupId: group })).errorCode).toBe(INVALID_PRODUCER_EPOCH);
      expect((await k.call('endTxn', v, { ...t, transactionResult: false })).errorCode).toBe(INVALID_PRODUCER_EPOCH);
      expect((await k.call('txnOffsetCommit', v, { ...t, groupId: group, topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '18', metadata: null }] }] })).topics[0].partitions[0].errorCode).toBe(
        INVALID_PRODUCER_EPOCH,
      );
    });

    // Kafka's group coordinator checks a transactional offset commit's member only when it names one
    // (generation >= 0, a member id or an instance id): v0-2 cannot, and kafkajs's sendOffsets and
    // Java's sendOffsetsToTransaction(offsets, groupId) send none, while the group's members consume
    // (the consume-transform-produce loop). ClassicGroup.validateOffsetCommit: "This does not apply to
    // transactional offset commits, since the older versions of this protocol do not require memberId
    // and generationId."
    it.each([0, 1])('v%i: TxnOffsetCommit without a member commits for a group that has members (as Kafka)', async (v) => {
      const id = `kjs-loop-${v}`;
      const group = `kjs-loop-g-${v}`;
      await joinedGroup(group);
      const init = await k.call('initProducerId', v, { transactionalId: id, transactionTimeout: 30_000 });
      const t = { transactionalId: id, producerId: init.producerId, producerEpoch: init.producerEpoch };
      expect((await k.call('addOffsetsToTxn', v, { ...t, groupId: group })).errorCode).toBe(0);
      const offsets = await k.call('txnOffsetCommit', v, { ...t, groupId: group, topics: [{ topic: 'in', partitions: [{ partition: 1, offset: '5', metadata: null }] }] });
      expect(offsets.topics[0].partitions[0].errorCode).toBe(0);
      expect((await k.call('endTxn', v, { ...t, transactionResult: true })).errorCode).toBe(0);
      expect(broker.broker.coordinator.committed(group, 'in', 1).offset).toBe(5n);
    });
  });
});
