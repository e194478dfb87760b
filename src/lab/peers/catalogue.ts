// Every system the peers comparison knows, in the order the report shows
// them, and the external targets turned into contenders. Client names
// carry the version in package.json's range, read at run time from the
// installed package so the report says what actually ran.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ACTIVEMQ_MODES, activemqDriver } from './drivers/activemq.js';
import { kafkaDriver } from './drivers/kafka.js';
import { kafkajsDriver } from './drivers/kafkajs.js';
import { NATS_MODES, natsDriver } from './drivers/nats.js';
import { RABBITMQ_MODES, rabbitmqDriver } from './drivers/rabbitmq.js';
import { REDIS_MODES, redisDriver } from './drivers/redis.js';
import { rocketmqDriver } from './drivers/rocketmq.js';
import { rocketmqLeanDriver } from './drivers/rocketmq-lean.js';
import type { Contender } from './run-system.js';
import { activemqServer } from './servers/activemq.js';
import { MQLAB_MODES, mqlabServer } from './servers/mqlab.js';
import { natsServer } from './servers/nats.js';
import { rabbitmqServer } from './servers/rabbitmq.js';
import { redisServer } from './servers/redis.js';
import type { SystemSpec } from './systems.js';
import type { PeerTarget } from './targets.js';

const require = createRequire(import.meta.url);

/** "amqplib 2.3.1", or the bare name when the package cannot be read. */
export function clientName(pkg: string): string {
  try {
    // A package's "exports" may hide its package.json: walk up from its entry point instead.
    let dir = dirname(require.resolve(pkg));
    while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== pkg) {
      if (dirname(dir) === dir) return pkg;
      dir = dirname(dir);
    }
    return `${pkg} ${(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch {
    return pkg;
  }
}

const modes = (list: { id: string; label: string }[]): SystemSpec['modes'] => list.map((m) => ({ id: m.id, label: m.label }));

export const CATALOGUE: SystemSpec[] = [
  { id: 'activemq', label: 'ActiveMQ', notesRow: 'ActiveMQ', client: clientName('@stomp/stompjs'), modes: modes(ACTIVEMQ_MODES), server: activemqServer, driver: activemqDriver },
  { id: 'rabbitmq', label: 'RabbitMQ', notesRow: 'RabbitMQ', client: clientName('amqplib'), modes: modes(RABBITMQ_MODES), server: rabbitmqServer, driver: rabbitmqDriver },
  { id: 'mqlab-rocketmq', label: 'mqlab as RocketMQ', notesRow: 'RocketMQ', client: clientName('rocketmq-client-nodejs'), modes: MQLAB_MODES, server: mqlabServer('commitlog', 'mmap', true), driver: rocketmqDriver },
  { id: 'mqlab-rocketmq-lean', label: 'mqlab as RocketMQ', notesRow: 'RocketMQ', client: 'mqlab lean gRPC client', modes: MQLAB_MODES, server: mqlabServer('commitlog', 'mmap', true), driver: rocketmqLeanDriver },
  { id: 'mqlab-kafka', label: 'mqlab as Kafka', notesRow: 'Kafka', client: 'mqlab client', modes: MQLAB_MODES, server: mqlabServer('segmented', 'sendfile', false), driver: kafkaDriver },
  { id: 'mqlab-kafkajs', label: 'mqlab as Kafka', notesRow: 'Kafka', client: clientName('kafkajs'), modes: MQLAB_MODES, server: mqlabServer('segmented', 'sendfile', false), driver: kafkajsDriver },
  { id: 'nats', label: 'NATS JetStream', notesRow: null, client: clientName('nats'), modes: modes(NATS_MODES), server: natsServer, driver: natsDriver },
  { id: 'redis', label: 'Redis Streams', notesRow: null, client: clientName('ioredis'), modes: modes(REDIS_MODES), server: redisServer, driver: redisDriver },
];

/** An external cluster as a contender: Kafka through both Kafka clients, RocketMQ through its official client; used as configured. */
export function targetContenders(t: PeerTarget): Contender[] {
  const asIs = [{ id: 'as-configured', label: 'as the cluster is configured' }];
  const base = { notesRow: t.system === 'kafka' ? ('Kafka' as const) : ('RocketMQ' as const), modes: asIs, server: null, endpoint: t.endpoint, topics: t.topics.length ? t.topics : undefined };
  if (t.system === 'rocketmq') return [{ ...base, id: 'target-rocketmq', label: t.label, client: clientName('rocketmq-client-nodejs'), driver: rocketmqDriver }];
  return [
    { ...base, id: 'target-kafka', label: t.label, client: 'mqlab client', driver: kafkaDriver },
    { ...base, id: 'target-kafkajs', label: t.label, client: clientName('kafkajs'), driver: kafkajsDriver },
  ];
}
