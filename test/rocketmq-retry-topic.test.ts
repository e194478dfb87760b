// The consumer group's retry topic, on both engines: a message received and
// not acked in time is revived into %RETRY%<group> (stored RETRY.<group>),
// whether or not a receive of its queue is waiting; the group's receives of
// its topic take it from there with the next delivery attempt, under the
// topic's name and as it was sent; another RocketMQ group reads the retry
// topic as %RETRY%<group>, a Kafka consumer as RETRY.<group> with where each
// record came from in headers; one group's retries of two topics go each to
// its own topic's receives, however many of the other's come first; and the
// group itself may not receive its retry topic as a topic.
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../src/records/index.js';
import { appended, committedAt } from './helpers/broker-events.js';
import { kafkaHeaders } from './helpers/kafka-headers.js';
import { rawClient, rawReceive, receiveUntil, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ retry topic (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  it('revives an expired message into %RETRY%workers with no receive waiting; readable there by RocketMQ and Kafka consumers; the group gets it back as attempt 2', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('jobs', 2);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['jobs']));
    const sent = await producer.send({ topic: 'jobs', tag: 'T', keys: ['k0'], properties: new Map([['why', 'test']]), body: Buffer.from('job 0') });
    const consumer = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000));
    const [first] = await receiveUntil(consumer, (all) => all.length >= 1, 1_000);
    expect([first!.body.toString(), first!.deliveryAttempt]).toEqual(['job 0', 1]);
    const queue = broker.broker.engine.highWatermark({ topic: 'jobs', partition: 0 }) === 1n ? 0 : 1;

    // No receive is waiting now: the broker revives it by itself.
    await appended(broker.broker, 'RETRY.workers', 0, 1n);
    await committedAt(broker.broker, 'workers', 'jobs', queue, 1n);

    // Another group reads the retry topic under RocketMQ's name, the message as it was sent.
    const auditor = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'auditors', { '%RETRY%workers': '*' }));
    const [audited] = await receiveUntil(auditor, (all) => all.length >= 1);
    expect(audited!.topic).toBe('%RETRY%workers');
    expect([audited!.body.toString(), audited!.messageId, audited!.tag, audited!.keys, Object.fromEntries(audited!.properties)]).toEqual(['job 0', sent.messageId, 'T', ['k0'], { why: 'test' }]);
    await auditor.ack(audited!);

    // A Kafka consumer reads RETRY.workers, where it came from in headers.
    const headers = await kafkaHeaders(broker.bootstrap, 'RETRY.workers');
    expect(headers[0]).toMatchObject({
      why: 'test',
      'rmq.msg.id': sent.messageId,
      'rmq.tag': 'T',
      'rmq.retry.topic': 'jobs',
      'rmq.retry.queue.id': String(queue),
      'rmq.retry.queue.offset': '0',
      'rmq.origin.msg.id': sent.messageId,
      'rmq.reconsume.time': '1',
    });

    // The group gets it from there: its topic's name, same id, attempt 2, on a receive of either queue.
    const [again] = await receiveUntil(consumer, (all) => all.length >= 1, 1_000);
    expect([again!.topic, again!.body.toString(), again!.messageId, again!.deliveryAttempt, Object.fromEntries(again!.properties)]).toEqual(['jobs', 'job 0', sent.messageId, 2, { why: 'test' }]);
    // Not acked again: a copy of the copy, attempt 3, the first delivery's origin kept.
    await appended(broker.broker, 'RETRY.workers', 0, 2n);
    const [third] = await receiveUntil(consumer, (all) => all.length >= 1, 60_000);
    expect([third!.body.toString(), third!.messageId, third!.deliveryAttempt]).toEqual(['job 0', sent.messageId, 3]);
    await expect(consumer.ack(again!)).rejects.toMatchObject({ code: 40013 }); // INVALID_RECEIPT_HANDLE: revived since
    await consumer.ack(third!);
    await committedAt(broker.broker, 'workers', 'RETRY.workers', 0, 2n);

    // The group itself does not receive its retry topic as a topic.
    const raw = rawClient(broker.rocketmqEndpoint!);
    try {
      const own = await rawReceive(raw, { group: { name: 'workers' }, messageQueue: { topic: { name: '%RETRY%workers' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '1' } });
      expect(own[0].status.code).toBe('BAD_REQUEST');
      expect(own[0].status.message).toMatch(/takes its retries with its receives of their topics/);
    } finally {
      raw.close();
    }
  });

  it('sends one group\'s retries of two topics each to its own topic\'s receives, and commits the retry topic past both only when both are done', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('jobs', 1);
    broker.broker.createTopic('mail', 1);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['jobs', 'mail']));
    await producer.send({ topic: 'jobs', body: Buffer.from('j0') });
    await producer.send({ topic: 'mail', body: Buffer.from('m0') });
    const jobs = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000));
    const mail = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { mail: '*' }, 3_000));
    // m0 is revived first, then j0: a receive of jobs meets m0 first in the retry topic, and leaves it to mail's scan.
    await receiveUntil(mail, (all) => all.length >= 1, 1_000);
    await appended(broker.broker, 'RETRY.workers', 0, 1n);
    await receiveUntil(jobs, (all) => all.length >= 1, 1_000);
    await appended(broker.broker, 'RETRY.workers', 0, 2n);

    const gotJobs = await receiveUntil(jobs, (all) => all.length >= 1, 60_000);
    expect(gotJobs.map((m) => [m.topic, m.body.toString(), m.deliveryAttempt])).toEqual([['jobs', 'j0', 2]]);
    await jobs.ack(gotJobs[0]!);
    // m0 still waits for a receive of mail: the retry topic's offset stays below it.
    expect(await jobs.receive(16, 60_000)).toEqual([]);
    expect(broker.broker.coordinator.committed('workers', 'RETRY.workers', 0).offset).toBe(-1n);
    const gotMail = await receiveUntil(mail, (all) => all.length >= 1, 60_000);
    expect(gotMail.map((m) => [m.topic, m.body.toString(), m.deliveryAttempt])).toEqual([['mail', 'm0', 2]]);
    await mail.ack(gotMail[0]!);
    await committedAt(broker.broker, 'workers', 'RETRY.workers', 0, 2n);
  });

  it('finds a topic\'s retry behind 2,000 of another topic\'s within one receive', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('jobs', 1);
    broker.broker.createTopic('mail', 1);
    broker.broker.createTopic('RETRY.workers', 1);
    // Copies as the broker writes them (retry-topic.ts): 2,000 of mail's, then one of jobs'.
    const copy = (topic: string, offset: number) => ({ key: null, value: Buffer.from(`${topic} ${offset}`), headers: [['rmq.msg.id', `01${topic}${offset}`], ['rmq.retry.topic', topic], ['rmq.retry.queue.id', '0'], ['rmq.retry.queue.offset', String(offset)], ['rmq.origin.msg.id', `01${topic}${offset}`], ['rmq.reconsume.time', '1']].map(([key, value]) => ({ key: key!, value: Buffer.from(value!) })) });
    for (let i = 0; i < 2_000; i += 100) {
      const r = await broker.broker.produce('RETRY.workers', 0, encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: 100 }, (_, k) => copy('mail', i + k)) }), -1);
      expect(r.error).toBe('NONE');
    }
    expect((await broker.broker.produce('RETRY.workers', 0, encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [copy('jobs', 0)] }), -1)).error).toBe('NONE');
    const jobs = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000));
    const got = await jobs.receive(16, 60_000);
    expect(got.map((m) => [m.topic, m.body.toString(), m.deliveryAttempt])).toEqual([['jobs', 'jobs 0', 2]]);
    await jobs.ack(got[0]!);
    // mail's 2,000 wait for mail's receives: nothing of the retry topic is committed.
    expect(await jobs.receive(16, 60_000)).toEqual([]);
    expect(broker.broker.coordinator.committed('workers', 'RETRY.workers', 0).offset).toBe(-1n);
    const mail = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { mail: '*' }, 3_000));
    const mails = await receiveUntil(mail, (all) => all.length >= 2_000, 60_000, 60_000);
    expect(mails.map((m) => m.body.toString())).toEqual(Array.from({ length: 2_000 }, (_, i) => `mail ${i}`));
    for (const m of mails) await mail.ack(m);
    // The next receive of mail finds nothing more and passes jobs' copy: the retry topic is committed past all.
    expect(await mail.receive(16, 60_000)).toEqual([]);
    await committedAt(broker.broker, 'workers', 'RETRY.workers', 0, 2_001n);
  });

  it('revives many expired deliveries at once in appends message.max.bytes allows, none lost, in order', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine, 'message.max.bytes': '131072' });
    broker.broker.createTopic('jobs', 1);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['jobs']));
    const bodies = Array.from({ length: 64 }, (_, i) => Buffer.alloc(4096, i));
    for (const body of bodies) await producer.send({ topic: 'jobs', body });
    const consumer = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000));
    expect((await receiveUntil(consumer, (all) => all.length >= 64, 1_000)).length).toBe(64);
    // 64 copies of 4 KiB: more than one append of at most half of 128 KiB.
    await appended(broker.broker, 'RETRY.workers', 0, 64n);
    const again = await receiveUntil(consumer, (all) => all.length >= 64, 60_000);
    expect(again.map((m) => [m.body[0], m.body.length, m.deliveryAttempt])).toEqual(bodies.map((_, i) => [i, 4096, 2]));
    for (const m of again) await consumer.ack(m);
    await committedAt(broker.broker, 'workers', 'RETRY.workers', 0, 64n);
  });
});
