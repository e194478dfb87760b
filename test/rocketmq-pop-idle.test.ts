// A consumer group's pop state of a queue is let go once idle
// (rocketmq.pop.state.idle.ms) with nothing the committed offset does not
// say: groups that come and go do not add up in memory. A state with a
// message out stays; one let go is made again from the committed offset at
// the next receive, which delivers what follows it and nothing acked.
import { describe, expect, it } from 'vitest';
import { committedAt } from './helpers/broker-events.js';
import { receiveUntil, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';
import { until } from './helpers/until.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ pop states of idle groups (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  it('lets an idle group\'s state go and makes it again from the committed offset; a state with a message out stays', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine, 'rocketmq.pop.state.idle.ms': '1000' });
    broker.broker.createTopic('jobs', 1);
    const producer = rmq.track(await startProducer(broker.rocketmqEndpoint!, ['jobs']));
    for (const body of ['j0', 'j1']) await producer.send({ topic: 'jobs', body: Buffer.from(body) });
    const workers = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }));
    const idlers = rmq.track(await startSimpleConsumer(broker.rocketmqEndpoint!, 'idlers', { jobs: '*' }));
    const out = await receiveUntil(workers, (all) => all.length >= 2, 60_000);
    await workers.ack(out[0]!); // j1 stays out
    for (const m of await receiveUntil(idlers, (all) => all.length >= 2, 60_000)) await idlers.ack(m);
    await committedAt(broker.broker, 'idlers', 'jobs', 0, 2n);
    expect(broker.rocketmq!.popQueues()).toBe(2);

    // The idlers' state goes; the workers', with j1 out, stays (both were last used at the same time).
    await until('the idle state is let go', () => broker.rocketmq!.popQueues() !== 2, 20_000_000);
    expect(broker.rocketmq!.popQueues()).toBe(1);
    await workers.ack(out[1]!);
    await committedAt(broker.broker, 'workers', 'jobs', 0, 2n);

    // Made again from the committed offset: the next message, and nothing acked before.
    await producer.send({ topic: 'jobs', body: Buffer.from('j2') });
    const next = await receiveUntil(idlers, (all) => all.length >= 1);
    expect(next.map((m) => m.body.toString())).toEqual(['j2']);
    await idlers.ack(next[0]!);
    await committedAt(broker.broker, 'idlers', 'jobs', 0, 3n);
  });
});
