// The Kafka-style tools, in Kafka's own words: `mqlab topics`, `mqlab
// config`, `mqlab produce`, `mqlab consume`, `mqlab groups`. Each talks to
// a running broker over the Kafka protocol, like kafka-topics.sh and friends.
import type { Command } from 'commander';
import { Admin } from '../client/admin.js';
import { PartitionLeaders } from '../client/leaders.js';
import { consoleConsume, consoleProduce } from '../client/console.js';
import { table } from '../lab/stats.js';
import { commandSecurity } from './security-commands.js';
import { canCompress, COMPRESSION_CODECS, type CompressionCodec } from '../records/index.js';

const BOOTSTRAP = '127.0.0.1:9092';

/** Runs an action, printing a failure as one line and exiting 1. */
function run<T>(action: (o: T) => Promise<void>): (o: T) => Promise<void> {
  return async (o: T) => {
    try {
      await action(o);
    } catch (err) {
      console.error(`mqlab: ${(err as Error).message}`);
      process.exit(1);
    }
  };
}

function keyValues(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`expected key=value, got "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

const SOURCES: Record<number, string> = { 1: 'topic', 2: 'dynamic', 4: 'static', 5: 'default', 8: 'group' };

export function addKafkaCommands(program: Command): void {
  program
    .command('topics')
    .description('create, list, describe or delete topics (like kafka-topics.sh)')
    .option('--bootstrap-server <host:port>', 'broker address', BOOTSTRAP)
    .option('--command-config <file>', 'client properties for a TLS or SASL listener (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location)')
    .option('--create', 'create --topic with --partitions')
    .option('--list', 'list topics')
    .option('--describe', 'describe --topic (or every topic)')
    .option('--delete', 'delete --topic and its data')
    .option('--topic <name>', 'the topic')
    .option('--partitions <n>', 'partitions of a new topic', '1')
    .option('--config <key=value...>', 'topic configs for --create')
    .action(
      run(async (o: { bootstrapServer: string; commandConfig?: string; create?: boolean; list?: boolean; describe?: boolean; delete?: boolean; topic?: string; partitions: string; config?: string[] }) => {
        const security = commandSecurity(o.commandConfig);
        const admin = await Admin.connect(o.bootstrapServer, security);
        try {
          const needTopic = (): string => {
            if (!o.topic) throw new Error('--topic is required');
            return o.topic;
          };
          if (o.create) {
            await admin.createTopic(needTopic(), Number(o.partitions), keyValues(o.config));
            console.log(`Created topic ${o.topic}.`);
          } else if (o.delete) {
            await admin.deleteTopic(needTopic());
            console.log(`Deleted topic ${o.topic}.`);
          } else if (o.describe) {
            const topics = (await admin.listTopics()).filter((t) => !o.topic || t.name === o.topic);
            if (o.topic && topics.length === 0) throw new Error(`no topic ${o.topic}`);
            for (const t of topics) {
              const leaders = await PartitionLeaders.open(admin, t.name, security);
              try {
                const all = [...Array(t.partitions).keys()];
                const hw = await leaders.offsets(t.name, all, -1n);
                const start = await leaders.offsets(t.name, all, -2n);
                // As kafka-topics.sh: the configs set on the topic itself (ConfigSource TOPIC_CONFIG, 1), message.type among them.
                const configs = (await admin.describeConfigs({ topic: t.name })).filter((c) => c.source === 1).map((c) => `${c.name}=${c.value ?? ''}`);
                console.log(`Topic: ${t.name}\tPartitionCount: ${t.partitions}\tReplicationFactor: 1\tConfigs: ${configs.join(',')}${t.internal ? '\tInternal: true' : ''}`);
                for (const p of all) {
                  const id = leaders.nodeIds.get(p) ?? 0;
                  console.log(`\tTopic: ${t.name}\tPartition: ${p}\tLeader: ${id}\tReplicas: ${id}\tIsr: ${id}\tLogStartOffset: ${start.get(p)}\tHighWatermark: ${hw.get(p)}`);
                }
              } finally {
                leaders.close();
              }
            }
          } else if (o.list) {
            for (const t of await admin.listTopics()) console.log(t.name);
          } else {
            throw new Error('one of --create, --list, --describe, --delete is required');
          }
        } finally {
          admin.close();
        }
      }),
    );

  program
    .command('config')
    .description('read or change broker configs (a topic\'s with --topic, a consumer group\'s with --group); transfer.strategy changes live')
    .option('--bootstrap-server <host:port>', 'broker address', BOOTSTRAP)
    .option('--command-config <file>', 'client properties for a TLS or SASL listener (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location)')
    .option('--get [key]', 'show configs (all, or one)')
    .option('--set <key=value...>', 'set configs')
    .option('--delete <key...>', 'remove dynamic values (back to static/default)')
    .option('--topic <name>', 'a topic\'s configs instead of the broker\'s')
    .option('--group <id>', 'a consumer group\'s configs (max.delivery.attempts, retry.backoff.ladder, fifo)')
    .action(
      run(async (o: { bootstrapServer: string; commandConfig?: string; get?: string | boolean; set?: string[]; delete?: string[]; topic?: string; group?: string }) => {
        if (o.topic !== undefined && o.group !== undefined) throw new Error('--topic or --group, not both');
        const resource = o.topic !== undefined ? { topic: o.topic } : o.group !== undefined ? { group: o.group } : undefined;
        const security = commandSecurity(o.commandConfig);
        const admin = await Admin.connect(o.bootstrapServer, security);
        try {
          if (o.set || o.delete) {
            const changes: Record<string, string | null> = keyValues(o.set);
            for (const k of o.delete ?? []) changes[k] = null;
            await admin.alterConfigs(changes, resource);
            console.log(`Updated ${o.topic !== undefined ? `topic ${o.topic}` : o.group !== undefined ? `group ${o.group}` : 'broker'}: ${Object.entries(changes).map(([k, v]) => `${k}=${v ?? '(deleted)'}`).join(', ')}`);
          } else {
            const all = await admin.describeConfigs(resource);
            const wanted = typeof o.get === 'string' ? all.filter((c) => c.name === o.get) : all;
            if (typeof o.get === 'string' && wanted.length === 0) throw new Error(`no config ${o.get}`);
            console.log(table(['name', 'value', 'source', 'mode'], wanted.map((c) => [c.name, c.value ?? '(sensitive)', SOURCES[c.source] ?? String(c.source), c.readOnly ? 'read-only' : 'dynamic'])));
          }
        } finally {
          admin.close();
        }
      }),
    );

  program
    .command('produce')
    .description('console producer: each line of stdin becomes a record (like kafka-console-producer.sh)')
    .option('--bootstrap-server <host:port>', 'broker address', BOOTSTRAP)
    .option('--command-config <file>', 'client properties for a TLS or SASL listener (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location)')
    .requiredOption('--topic <name>', 'the topic (auto-created if the broker allows)')
    .option('--key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('--acks <n>', '0, 1 or -1', '-1')
    .option('--batch-size <n>', 'records per batch', '500')
    .option('--compression <codec>', 'none, gzip, snappy, lz4 or zstd (zstd needs Node 22.15+)', 'none')
    .action(
      run(async (o: { bootstrapServer: string; commandConfig?: string; topic: string; keySeparator?: string; acks: string; batchSize: string; compression: string }) => {
        if (!(COMPRESSION_CODECS as readonly string[]).includes(o.compression)) throw new Error(`--compression ${o.compression}: expected one of ${COMPRESSION_CODECS.join(', ')}`);
        const compression = o.compression as CompressionCodec;
        if (!canCompress(compression)) throw new Error(`--compression zstd needs Node 22.15 or later (this is ${process.version})`);
        const n = await consoleProduce(process.stdin, {
          bootstrap: o.bootstrapServer,
          security: commandSecurity(o.commandConfig),
          topic: o.topic,
          keySeparator: o.keySeparator,
          acks: Number(o.acks),
          batchSize: Number(o.batchSize),
          compression,
        });
        console.error(`Produced ${n} records to ${o.topic}.`);
      }),
    );

  program
    .command('consume')
    .description('console consumer: prints each record\'s value (like kafka-console-consumer.sh)')
    .option('--bootstrap-server <host:port>', 'broker address', BOOTSTRAP)
    .option('--command-config <file>', 'client properties for a TLS or SASL listener (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location)')
    .requiredOption('--topic <name>', 'the topic')
    .option('--group <id>', 'consume as a member of this group, committing offsets')
    .option('--from-beginning', 'start at the earliest offset where nothing is committed')
    .option('--from-time <time>', 'start where nothing is committed at the first record stamped at or after this time (ms since the epoch, or an ISO 8601 date)')
    .option('--max-messages <n>', 'stop after this many records')
    .option('--timeout-ms <n>', 'stop after this long with no new record')
    .option('--print-key', 'print key<separator>value')
    .option('--key-separator <sep>', 'separator for --print-key', '\t')
    .action(
      run(async (o: { bootstrapServer: string; commandConfig?: string; topic: string; group?: string; fromBeginning?: boolean; fromTime?: string; maxMessages?: string; timeoutMs?: string; printKey?: boolean; keySeparator: string }) => {
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        const n = await consoleConsume({
          bootstrap: o.bootstrapServer,
          security: commandSecurity(o.commandConfig),
          topic: o.topic,
          group: o.group,
          fromBeginning: o.fromBeginning ?? false,
          fromTimeMs: o.fromTime === undefined ? undefined : parseTime(o.fromTime, o.fromBeginning),
          maxMessages: o.maxMessages !== undefined ? Number(o.maxMessages) : undefined,
          timeoutMs: o.timeoutMs !== undefined ? Number(o.timeoutMs) : undefined,
          printKey: o.printKey ?? false,
          keySeparator: o.keySeparator,
          print: (line) => process.stdout.write(`${line}\n`),
          signal: stop.signal,
        });
        console.error(`Processed a total of ${n} messages`);
      }),
    );

  program
    .command('groups')
    .description('list groups, or describe one with its lag per partition (like kafka-consumer-groups.sh)')
    .option('--bootstrap-server <host:port>', 'broker address', BOOTSTRAP)
    .option('--command-config <file>', 'client properties for a TLS or SASL listener (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location)')
    .option('--list', 'list groups')
    .option('--describe', 'describe --group')
    .option('--group <id>', 'the group')
    .action(
      run(async (o: { bootstrapServer: string; commandConfig?: string; list?: boolean; describe?: boolean; group?: string }) => {
        const security = commandSecurity(o.commandConfig);
        const admin = await Admin.connect(o.bootstrapServer, security);
        try {
          if (o.describe) {
            if (!o.group) throw new Error('--group is required');
            const g = await admin.describeGroup(o.group);
            const committed = await admin.groupOffsets(o.group);
            const owner = new Map<string, { memberId: string; clientId: string; host: string }>();
            for (const m of g.members) {
              for (const [topic, ps] of m.partitions) for (const p of ps) owner.set(`${topic}:${p}`, { memberId: m.memberId, clientId: m.clientId, host: m.clientHost });
              }
            const keys = new Set([...owner.keys(), ...[...committed].flatMap(([t, ps]) => [...ps.keys()].map((p) => `${t}:${p}`))]);
            const byTopic = new Map<string, number[]>();
            for (const k of keys) {
              const [t, p] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
              byTopic.set(t, [...(byTopic.get(t) ?? []), p]);
            }
            const rows: string[][] = [];
            for (const [topic, ps] of [...byTopic].sort()) {
              const leaders = await PartitionLeaders.open(admin, topic, security);
              const end = await leaders.offsets(topic, ps, -1n).finally(() => leaders.close());
              for (const p of ps.sort((a, b) => a - b)) {
                const c = committed.get(topic)?.get(p);
                const hw = end.get(p)!;
                const who = owner.get(`${topic}:${p}`);
                rows.push([o.group, topic, String(p), c === undefined ? '-' : String(c), String(hw), c === undefined ? '-' : String(hw - c), who?.memberId ?? '-', who?.host ?? '-', who?.clientId ?? '-']);
              }
            }
            console.log(`Group ${o.group} is ${g.state} with ${g.members.length} member${g.members.length === 1 ? '' : 's'}.\n`);
            console.log(table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows));
          } else if (o.list) {
            for (const g of await admin.listGroups()) console.log(g.groupId);
          } else {
            throw new Error('one of --list, --describe is required');
          }
        } finally {
          admin.close();
        }
      }),
    );
}

/** --from-time: ms since the epoch, or a date Date.parse reads (ISO 8601). */
function parseTime(text: string, fromBeginning: boolean | undefined): bigint {
  if (fromBeginning) throw new Error('--from-time and --from-beginning name two different starts: give one');
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`--from-time ${text}: expected ms since the epoch or an ISO 8601 date such as 2026-12-02T07:00:00Z`);
  return BigInt(ms);
}
