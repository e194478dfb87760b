// Pull consumption over RocketMQ's gRPC API, on both engines: PullMessage,
// UpdateOffset and GetOffset sent by the official Node client's own RPC
// code (rocketmq-client-nodejs's RpcClient over its google-protobuf classes;
// the package has no PullConsumer class), its messages read by its
// MessageView (which checks the body digest); errors through a raw client.
import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Endpoints, MessageView } from 'rocketmq-client-nodejs';
import { RpcClient } from 'rocketmq-client-nodejs/dist/client/RpcClient.js';
import service from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js';
import definition from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import duration from 'google-protobuf/google/protobuf/duration_pb.js';
import { until } from './helpers/until.js';
import { plainMessage } from './helpers/rocket-message.js';
import { publish } from '../src/broker/rocketmq/publish.js';
import { encodeBatch } from '../src/records/index.js';
import { PULL_SCAN_BYTES, PULL_SCAN_CODES } from '../src/broker/rocketmq/pull-read.js';
import { appended } from './helpers/broker-events.js';
import { rawClient, rawSettings, rawUnary, receiveUntil, rocketmqBrokerPerTest, startProducer, startSimpleConsumer, type RawClient } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;
const Code = definition.Code;

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes */
function queue(topic: string, id = 0): any {
  return new definition.MessageQueue().setTopic(new definition.Resource().setName(topic)).setId(id);
}

function pullRequest(group: string, topic: string, offset: number, o: { batch?: number; tags?: string; pollMs?: number } = {}): any {
  const poll = o.pollMs ?? 0;
  return new service.PullMessageRequest()
    .setGroup(new definition.Resource().setName(group))
    .setMessageQueue(queue(topic))
    .setOffset(offset)
    .setBatchSize(o.batch ?? 32)
    .setFilterExpression(new definition.FilterExpression().setType(definition.FilterType.TAG).setExpression(o.tags ?? '*'))
    .setLongPollingTimeout(new duration.Duration().setSeconds(Math.floor(poll / 1000)).setNanos((poll % 1000) * 1e6));
}

interface Pulled {
  /** The oneof cases in the order they came. */
  order: string[];
  code: number;
  messages: MessageView[];
  nextOffset: number | null;
}

async function pull(rpc: RpcClient, request: any): Promise<Pulled> {
  const responses: any[] = await rpc.pullMessage(request, new grpc.Metadata(), 30_000);
  const out: Pulled = { order: [], code: -1, messages: [], nextOffset: null };
  for (const r of responses) {
    if (r.hasStatus()) {
      out.order.push('status');
      out.code = r.getStatus().getCode();
    } else if (r.hasMessage()) {
      out.order.push('message');
      out.messages.push(new MessageView(r.getMessage()));
    } else {
      out.order.push('next_offset');
      out.nextOffset = r.getNextOffset();
    }
  }
  return out;
}

describe.each(ENGINES)('RocketMQ pull consumption (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  it('pulls a queue from an offset: its messages in order, then the offset to pull next; a filter consumes what it passes over; a long poll wakes for a send', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('pulled', 2);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['pulled']));
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await producer.send({ topic: 'pulled', tag: i % 2 ? 'B' : 'A', keys: [`k${i}`], properties: new Map([['n', String(i)]]), body: Buffer.from(`message ${i}`) });
      expect(Number(r.offset)).toBe(i);
      ids.push(r.messageId);
    }
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      const all = await pull(rpc, pullRequest('pullers', 'pulled', 0));
      expect(all.code).toBe(Code.OK);
      expect(all.order).toEqual(['status', ...Array(10).fill('message'), 'next_offset']);
      expect(all.nextOffset).toBe(10);
      all.messages.forEach((m, i) => {
        expect(m.corrupted).toBeFalsy();
        expect(m.body.toString()).toBe(`message ${i}`);
        expect(Number(m.offset)).toBe(i);
        expect(m.messageId).toBe(ids[i]);
        expect(m.tag).toBe(i % 2 ? 'B' : 'A');
        expect(m.keys).toEqual([`k${i}`]);
        expect(m.properties.get('n')).toBe(String(i));
        expect(m.deliveryAttempt).toBe(1);
        // A pull takes nothing: no receipt handle to ack.
        expect(m.receiptHandle).toBe('');
      });

      // What an answer held against the connection's unsent-bytes bound is let go once it is sent.
      await until('the pulled bytes are sent', () => broker.rocketmq!.unsentBytes() === 0);

      const some = await pull(rpc, pullRequest('pullers', 'pulled', 3, { batch: 4 }));
      expect(some.messages.map((m) => Number(m.offset))).toEqual([3, 4, 5, 6]);
      expect(some.nextOffset).toBe(7);

      const bs = await pull(rpc, pullRequest('pullers', 'pulled', 0, { tags: 'B' }));
      expect(bs.messages.map((m) => m.body.toString())).toEqual([1, 3, 5, 7, 9].map((i) => `message ${i}`));
      expect(bs.nextOffset).toBe(10);
      // Only unmatched records from 8 on: nothing found, and the next offset moves past them.
      const none = await pull(rpc, pullRequest('pullers', 'pulled', 8, { tags: 'C' }));
      expect([none.code, none.messages.length, none.nextOffset]).toEqual([Code.MESSAGE_NOT_FOUND, 0, 10]);

      const atEnd = await pull(rpc, pullRequest('pullers', 'pulled', 10));
      expect(atEnd.order).toEqual(['status', 'next_offset']);
      expect([atEnd.code, atEnd.nextOffset]).toEqual([Code.MESSAGE_NOT_FOUND, 10]);
      const empty = await pull(rpc, pullRequest('pullers', 'pulled', 0).setMessageQueue(queue('pulled', 1)));
      expect([empty.code, empty.nextOffset]).toEqual([Code.MESSAGE_NOT_FOUND, 0]);

      // Waits at the end until a message comes.
      const waiting = pull(rpc, pullRequest('pullers', 'pulled', 10, { pollMs: 15_000 }));
      await until('the pull to wait in the broker', () => broker.rocketmq!.receiving() === 1);
      await producer.send({ topic: 'pulled', tag: 'A', body: Buffer.from('late') });
      const woke = await waiting;
      expect(woke.messages.map((m) => m.body.toString())).toEqual(['late']);
      expect(woke.nextOffset).toBe(11);

      const past = await pull(rpc, pullRequest('pullers', 'pulled', 50));
      expect(past.order).toEqual(['status', 'next_offset']);
      expect([past.code, past.nextOffset]).toEqual([Code.ILLEGAL_OFFSET, 11]);
      // Below the queue's first offset (records deleted): the first is where to go on.
      await broker.broker.deleteRecords('pulled', 0, 4n);
      const below = await pull(rpc, pullRequest('pullers', 'pulled', 2));
      expect([below.code, below.nextOffset]).toEqual([Code.ILLEGAL_OFFSET, 4]);
    } finally {
      rpc.close();
    }
  });

  it(`looks at no more than ${PULL_SCAN_BYTES / 1024 / 1024} MiB of log per pull (PULL_SCAN_BYTES): a filter that matches little answers how far it got, and the next pulls go on from there`, async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    // A topic with no message type: no tag index, so the filter reads the log.
    broker.broker.createTopic('wide', 1);
    // 3 MiB of messages tagged A, 16 a batch, then one tagged Z.
    const batches = Math.ceil((3 * PULL_SCAN_BYTES) / (16 * 1024));
    for (let b = 0; b < batches; b++) await publish(broker.broker, 'wide', 0, Array.from({ length: 16 }, (_, i) => ({ ...plainMessage, messageId: `A${b}-${i}`, tag: 'A' })));
    await publish(broker.broker, 'wide', 0, [{ ...plainMessage, messageId: 'Z', tag: 'Z', body: Buffer.from('the one') }]);
    const end = batches * 16;
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      const steps: number[] = [];
      let offset = 0;
      let found: Pulled | null = null;
      while (found === null) {
        const r = await pull(rpc, pullRequest('g', 'wide', offset, { tags: 'Z' }));
        if (r.code === Code.OK) found = r;
        else {
          expect(r.code).toBe(Code.MESSAGE_NOT_FOUND);
          expect(r.nextOffset!).toBeGreaterThan(offset);
          steps.push(r.nextOffset! - offset);
          offset = r.nextOffset!;
        }
      }
      // Each pull that found nothing went about 1 MiB further (1 KiB messages, whole batches), so three or four of them.
      expect(steps.length).toBeGreaterThanOrEqual(2);
      expect(steps.length).toBeLessThanOrEqual(4);
      for (const step of steps) expect(step).toBeLessThanOrEqual(PULL_SCAN_BYTES / 1024 + 16);
      expect(found.messages.map((m) => [m.body.toString(), Number(m.offset)])).toEqual([['the one', end]]);
      expect(found.nextOffset).toBe(end + 1);
      // At most 32 a pull, as RocketMQ's proxy, whatever the batch size asked.
      const capped = await pull(rpc, pullRequest('g', 'wide', 0, { batch: 100 }));
      expect([capped.messages.length, capped.nextOffset]).toEqual([32, 32]);
    } finally {
      rpc.close();
    }
  });

  it(`passes over records whose tag code cannot match in the tag index, unread (${PULL_SCAN_CODES} codes a pull at most), and checks the exact tag of those read`, async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('indexed', 1, { 'message.type': 'NORMAL' });
    const batches = Math.ceil(PULL_SCAN_CODES / 16) + 100;
    for (let b = 0; b < batches; b++) await publish(broker.broker, 'indexed', 0, Array.from({ length: 16 }, (_, i) => ({ ...plainMessage, messageId: `A${b}-${i}`, tag: 'A', body: Buffer.from('a') })));
    await publish(broker.broker, 'indexed', 0, [{ ...plainMessage, messageId: 'Z', tag: 'Z', body: Buffer.from('the one') }]);
    const end = batches * 16;
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      const before = broker.rocketmq!.logBytesRead();
      const first = await pull(rpc, pullRequest('g', 'indexed', 0, { tags: 'Z' }));
      expect([first.code, first.nextOffset]).toEqual([Code.MESSAGE_NOT_FOUND, PULL_SCAN_CODES]);
      const second = await pull(rpc, pullRequest('g', 'indexed', PULL_SCAN_CODES, { tags: 'Z' }));
      expect(second.messages.map((m) => [m.body.toString(), Number(m.offset)])).toEqual([['the one', end]]);
      // Only the Z record's batch was read from the log.
      expect(broker.rocketmq!.logBytesRead() - before).toBeLessThan(1024);
      // What the index lets through is read and checked by its exact tag: A || Z from two before the end gives both A's and the Z.
      const both = await pull(rpc, pullRequest('g', 'indexed', end - 2, { tags: 'A || Z' }));
      expect(both.messages.map((m) => m.tag)).toEqual(['A', 'A', 'Z']);
    } finally {
      rpc.close();
    }
  });

  it("pulls a Kafka producer's records too, as RocketMQ messages (their ids derived, their bodies whole)", async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('from-kafka', 1);
    const produced = await broker.broker.produce('from-kafka', 0, encodeBatch({ baseTimestamp: 1_764_000_000_000n, records: [{ key: Buffer.from('k1'), value: Buffer.from('from kafka'), headers: [{ key: 'app', value: Buffer.from('x') }] }, { key: null, value: Buffer.alloc(9000, 7), headers: [] }] }));
    expect(produced.error).toBe('NONE');
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      const got = await pull(rpc, pullRequest('g', 'from-kafka', 0));
      expect(got.messages.map((m) => [m.body.length, m.corrupted ?? false, m.keys, m.properties.get('app'), Number(m.offset)])).toEqual([[10, false, ['k1'], 'x', 0], [9000, false, [], undefined, 1]]);
      expect(got.messages[0]!.body.toString()).toBe('from kafka');
      for (const m of got.messages) expect(m.messageId).toMatch(/^[0-9A-F]{32,}$/);
      expect(got.nextOffset).toBe(2);
    } finally {
      rpc.close();
    }
  });

  it("pulls a group's retry topic with each retry's delivery attempt", async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('jobs', 1);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['jobs']));
    await producer.send({ topic: 'jobs', body: Buffer.from('job 0') });
    const consumer = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000));
    // Received and never acked: revived into the group's retry topic when its second of invisibility ends.
    await receiveUntil(consumer, (all) => all.length >= 1, 1_000);
    await appended(broker.broker, 'RETRY.workers', 0, 1n);
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      const retried = await pull(rpc, pullRequest('auditors', '%RETRY%workers', 0));
      expect(retried.messages.map((m) => [m.body.toString(), m.deliveryAttempt, m.topic])).toEqual([['job 0', 2, '%RETRY%workers']]);
    } finally {
      rpc.close();
    }
  });

  it('stores a group offset by UpdateOffset and answers it by GetOffset, in the offset store Kafka consumers and pop share', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('progress', 2);
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      const get = (group: string, id: number): Promise<any> => rpc.getOffset(new service.GetOffsetRequest().setGroup(new definition.Resource().setName(group)).setMessageQueue(queue('progress', id)), new grpc.Metadata(), 10_000);
      const update = (group: string, id: number, offset: number): Promise<any> => rpc.updateOffset(new service.UpdateOffsetRequest().setGroup(new definition.Resource().setName(group)).setMessageQueue(queue('progress', id)).setOffset(offset), new grpc.Metadata(), 10_000);
      const none = await get('pullers', 1);
      expect(none.getStatus().getCode()).toBe(Code.OFFSET_NOT_FOUND);
      expect((await update('pullers', 1, 7)).getStatus().getCode()).toBe(Code.OK);
      const seven = await get('pullers', 1);
      expect([seven.getStatus().getCode(), seven.getOffset()]).toEqual([Code.OK, 7]);
      expect(broker.broker.coordinator.committed('pullers', 'progress', 1).offset).toBe(7n);
      // Another queue of the group is untouched; an offset past the end is stored as given, as RocketMQ's broker and Kafka's do.
      expect((await get('pullers', 0)).getStatus().getCode()).toBe(Code.OFFSET_NOT_FOUND);
      expect((await update('pullers', 1, 1_000)).getStatus().getCode()).toBe(Code.OK);
      expect((await get('pullers', 1)).getOffset()).toBe(1_000);
      // Kafka's OffsetFetch (kafkajs's admin) sees it; a Kafka client's commit of the same group is what GetOffset answers.
      const admin = new Kafka({ clientId: 'pull-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const [fetched] = await admin.fetchOffsets({ groupId: 'pullers', topics: ['progress'] });
        expect(fetched!.partitions.find((p) => p.partition === 1)?.offset).toBe('1000');
      } finally {
        await admin.disconnect();
      }
      await broker.broker.coordinator.commit('pullers', '', -1, [{ topic: 'progress', partition: 0, offset: 3n, metadata: null }]);
      expect((await get('pullers', 0)).getOffset()).toBe(3);
      // Kept across a restart.
      rpc.close();
      await rmq.restart();
      const again = new RpcClient(new Endpoints(rmq.broker.rocketmqEndpoint!), false);
      try {
        const r = await again.getOffset(new service.GetOffsetRequest().setGroup(new definition.Resource().setName('pullers')).setMessageQueue(queue('progress', 1)), new grpc.Metadata(), 10_000);
        expect(r.getOffset()).toBe(1_000);
      } finally {
        again.close();
      }
    } finally {
      rpc.close();
    }
  });
});

describe('RocketMQ pull consumption: bad requests', () => {
  const rmq = rocketmqBrokerPerTest();

  it('takes no more for one answer than the connection may hold unsent (rocketmq.connection.max.unsent.bytes), one message at least', async () => {
    const broker = await rmq.start({ 'rocketmq.connection.max.unsent.bytes': '3000' });
    broker.broker.createTopic('big', 1);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['big']));
    for (let i = 0; i < 6; i++) await producer.send({ topic: 'big', body: Buffer.alloc(1000, i) });
    const rpc = new RpcClient(new Endpoints(broker.rocketmqEndpoint!), false);
    try {
      // Each message counts its body and about 256 bytes of fields: two fit in 3,000.
      const first = await pull(rpc, pullRequest('g', 'big', 0));
      expect([first.messages.length, first.nextOffset]).toEqual([2, 2]);
      const rest = await pull(rpc, pullRequest('g', 'big', 2));
      expect(rest.messages.map((m) => Number(m.offset))).toEqual([2, 3]);
      await until('the pulled bytes are sent', () => broker.rocketmq!.unsentBytes() === 0);

      // Four pulls long-polling on one connection, woken by one append: each takes from the room the ones before left (the first two fit, the next goes one past), not all from the room they saw when they began.
      broker.broker.createTopic('burst', 1, { 'message.type': 'NORMAL' });
      const waiting = [0, 1, 2, 3].map((i) => pull(rpc, pullRequest(`g${i}`, 'burst', 0, { pollMs: 15_000 })));
      await until('the four pulls to wait in the broker', () => broker.rocketmq!.receiving() === 4);
      await publish(broker.broker, 'burst', 0, Array.from({ length: 6 }, (_, i) => ({ ...plainMessage, messageId: `B${i}`, body: Buffer.alloc(1000, i) })));
      const answers = await Promise.all(waiting);
      expect(answers.map((a) => a.messages.length).sort()).toEqual([0, 0, 1, 2]);
      expect(answers.filter((a) => a.code === Code.TOO_MANY_REQUESTS)).toHaveLength(2);
      await until('the pulled bytes are sent', () => broker.rocketmq!.unsentBytes() === 0);
    } finally {
      rpc.close();
    }
  });

  it('answer their status and the endpoint keeps serving', async () => {
    const broker = await rmq.start({});
    broker.broker.createTopic('pulled', 1);
    const raw: RawClient = rawClient(broker.rocketmqEndpoint!);
    try {
      const pullRaw = (request: Record<string, any>): Promise<any[]> =>
        new Promise((resolve, reject) => {
          const out: any[] = [];
          const call = raw.PullMessage(request, { deadline: Date.now() + 20_000 });
          call.on('data', (d: any) => out.push(d));
          call.on('end', () => resolve(out));
          call.on('error', reject);
        });
      const mq = { topic: { name: 'pulled' }, id: 0 };
      const codeOf = async (request: Record<string, any>): Promise<string> => (await pullRaw(request))[0].status.code;
      expect(await codeOf({ messageQueue: mq, batchSize: 1 })).toBe('ILLEGAL_CONSUMER_GROUP');
      expect(await codeOf({ group: { name: 'g' }, messageQueue: { topic: { name: 'nope' }, id: 0 }, batchSize: 1 })).toBe('TOPIC_NOT_FOUND');
      expect(await codeOf({ group: { name: 'g' }, messageQueue: { topic: { name: 'pulled' }, id: 3 }, batchSize: 1 })).toBe('BAD_REQUEST');
      expect(await codeOf({ group: { name: 'g' }, messageQueue: mq, offset: '-1', batchSize: 1 })).toBe('ILLEGAL_OFFSET');
      expect(await codeOf({ group: { name: 'g' }, messageQueue: mq, batchSize: 0 })).toBe('BAD_REQUEST');
      expect(await codeOf({ group: { name: 'g' }, messageQueue: mq, batchSize: 1, filterExpression: { type: 'SQL', expression: 'a >' } })).toBe('ILLEGAL_FILTER_EXPRESSION');
      expect(await codeOf({ group: { name: 'g' }, messageQueue: mq, batchSize: 1, longPollingTimeout: { seconds: '600' } })).toBe('ILLEGAL_POLLING_TIME');
      expect((await rawUnary(raw, 'UpdateOffset', { group: { name: 'g' }, messageQueue: mq, offset: '-5' })).status.code).toBe('ILLEGAL_OFFSET');
      expect((await rawUnary(raw, 'UpdateOffset', { messageQueue: mq, offset: '1' })).status.code).toBe('ILLEGAL_CONSUMER_GROUP');
      expect((await rawUnary(raw, 'GetOffset', { group: { name: 'g' }, messageQueue: { topic: { name: 'nope' } } })).status.code).toBe('TOPIC_NOT_FOUND');
      // A pull consumer's settings are answered (its group back, and the long-polling timeout).
      const settings = await rawSettings(raw, { clientType: 'PULL_CONSUMER', subscription: { group: { name: 'g' } } });
      expect(settings.status.code).toBe('OK');
      expect(settings.settings.subscription.group.name).toBe('g');
      // Still serving.
      const ok = await pullRaw({ group: { name: 'g' }, messageQueue: mq, batchSize: 1, longPollingTimeout: { seconds: '0' } });
      expect(ok.map((r) => r.content)).toEqual(['status', 'nextOffset']);
      expect(ok[0].status.code).toBe('MESSAGE_NOT_FOUND');
    } finally {
      raw.close();
    }
  });
});
