// Broker and topic configs, by Kafka's names: what DescribeConfigs shows and
// what AlterConfigs / IncrementalAlterConfigs may change. A config is either
// dynamic (applied to the running broker at once, and kept in
// <data>/configs.json so it survives a restart, as Kafka keeps dynamic
// configs in its metadata) or read-only (fixed at start by flags or the
// config file). Only configs the broker really honours are listed: an
// unknown name is refused, not stored and ignored. The configs in force on a
// running broker: broker-configs.ts.
import { STRATEGY_NAMES } from '../native/addon.js';
import { BrokerError } from './errors.js';
import { checkDelayLevels, DEFAULT_DELAY_LEVELS } from './rocketmq/timer/delay-levels.js';
import { checkAuthorizerClassName, checkSuperUsers } from './security/authorizer.js';
import { MIN_OPEN_FILES } from '../storage/file-pool.js';

export type ConfigType = 'STRING' | 'BOOLEAN' | 'INT' | 'LONG' | 'DOUBLE';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  dynamic: boolean;
  /** Why a value is not acceptable, or null. */
  check: (value: string) => string | null;
  doc: string;
  /** A password: DescribeConfigs shows no value (Kafka's PASSWORD type, isSensitive). */
  sensitive?: boolean;
  /** Also settable for one listener alone, as `listener.name.<listener>.<name>` (Kafka's listener-prefixed configs). */
  listenerScoped?: boolean;
}

export const intIn = (lo: number, hi: number) => (v: string): string | null =>
  /^-?\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi ? null : `must be an integer in [${lo}, ${hi}]`;
/** Comma-separated ports (0 for a free one), or empty. */
const portList = (v: string): string | null =>
  v === '' || v.split(',').every((p) => /^\d{1,5}$/.test(p.trim()) && Number(p) <= 65535) ? null : 'must be ports (0-65535) separated by commas, or empty';
export const bool = (v: string): string | null => (v === 'true' || v === 'false' ? null : 'must be true or false');
const oneOf = (values: readonly string[]) => (v: string): string | null => (values.includes(v) ? null : `must be one of ${values.join(', ')}`);
const ratio = (v: string): string | null => (/^(\d+(\.\d+)?|\.\d+)$/.test(v) && Number(v) >= 0 && Number(v) <= 1 ? null : 'must be a number in [0, 1]');
/** A Java long from lo on (Kafka writes "no limit" as Long.MAX_VALUE); compared as a JS number, which is exact enough for ms. */
const longFrom = (lo: number) => (v: string): string | null => (/^-?\d+$/.test(v) && BigInt(v) >= BigInt(lo) && BigInt(v) <= 9223372036854775807n ? null : `must be an integer in [${lo}, 9223372036854775807]`);
const CLEANUP_POLICIES = ['delete', 'compact', 'compact,delete', 'delete,compact'];
const assignorList = (v: string): string | null => {
  const names = v.split(',').map((n) => n.trim());
  if (names.some((n) => n !== 'uniform' && n !== 'range')) return 'must list uniform and/or range, comma-separated';
  return new Set(names).size === names.length ? null : 'must not name an assignor twice';
};
const anything = (): string | null => null;
const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const protocolMap = (v: string): string | null => {
  for (const entry of v.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const [name, protocol, ...rest] = entry.split(':');
    if (!name || rest.length > 0 || !/^[A-Za-z0-9_]+$/.test(name)) return `"${entry}" is not LISTENER_NAME:PROTOCOL`;
    if (!SECURITY_PROTOCOLS.includes(protocol ?? '')) return `"${entry}": the protocol must be one of ${SECURITY_PROTOCOLS.join(', ')}`;
  }
  return null;
};
const mechanismList = (v: string): string | null => {
  const names = v.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.find((n) => !SASL_MECHANISMS.includes(n));
  if (unknown) return `${unknown} is not supported (supported: ${SASL_MECHANISMS.join(', ')}; GSSAPI and OAUTHBEARER are not)`;
  return names.length > 0 ? null : 'must name at least one mechanism';
};
const openFilesBudget = (v: string): string | null => (/^-?\d+$/.test(v) && (Number(v) === -1 || (Number(v) >= MIN_OPEN_FILES && Number(v) <= 100_000_000)) ? null : `must be -1 or an integer in [${MIN_OPEN_FILES}, 100000000]`);
const flushValue = (v: string): string | null => (v === 'none' || v === 'batch' || /^[1-9]\d*$/.test(v) ? null : 'must be none, batch or an interval in ms');

export const BROKER_DEFS: ConfigDef[] = [
  { name: 'transfer.strategy', type: 'STRING', dynamic: true, check: oneOf(STRATEGY_NAMES), doc: 'how fetch responses move log bytes to the socket: sendfile, mmap or copy' },
  { name: 'auto.create.topics.enable', type: 'BOOLEAN', dynamic: true, check: bool, doc: 'create a topic on first Metadata or Produce for it' },
  { name: 'num.partitions', type: 'INT', dynamic: true, check: intIn(1, 10_000), doc: 'partitions of an auto-created topic' },
  { name: 'log.retention.check.interval.ms', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'how often retention runs' },
  { name: 'log.retention.ms', type: 'LONG', dynamic: false, check: intIn(-1, Number.MAX_SAFE_INTEGER), doc: 'delete log files older than this (-1: never)' },
  { name: 'log.retention.bytes', type: 'LONG', dynamic: false, check: intIn(-1, Number.MAX_SAFE_INTEGER), doc: 'per partition, delete the oldest log files beyond this size (-1: never)' },
  { name: 'log.roll.ms', type: 'LONG', dynamic: false, check: intIn(1, Number.MAX_SAFE_INTEGER), doc: 'segmented engine: roll the active segment this long after it was opened (a restart opens it afresh); segment.ms per topic' },
  { name: 'log.cleaner.enable', type: 'BOOLEAN', dynamic: false, check: bool, doc: 'run the log cleaner for topics with cleanup.policy=compact (segmented engine)' },
  { name: 'log.cleaner.io.max.bytes.per.second', type: 'LONG', dynamic: false, check: intIn(-1, 2 ** 50), doc: 'the log cleaner\'s I/O budget: bytes read plus written per second (-1: no limit, Kafka\'s default; ours is 16 MiB/s, see README)' },
  { name: 'log.cleaner.backoff.ms', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'how long the log cleaner waits when no log needs cleaning' },
  { name: 'log.cleaner.dedupe.buffer.size', type: 'LONG', dynamic: false, check: intIn(1024, 2 ** 31 - 1), doc: 'memory of the log cleaner\'s key map, 24 bytes a key: a dirty section with more keys is cleaned in several passes' },
  { name: 'log.cleaner.delete.retention.ms', type: 'LONG', dynamic: false, check: intIn(0, Number.MAX_SAFE_INTEGER), doc: 'how long a tombstone stays after the cleaning that first saw it; delete.retention.ms per topic' },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'DOUBLE', dynamic: false, check: ratio, doc: 'dirty bytes / all cleanable bytes at which a log is cleaned; min.cleanable.dirty.ratio per topic' },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'LONG', dynamic: false, check: intIn(0, Number.MAX_SAFE_INTEGER), doc: 'records newer than this are not cleaned; min.compaction.lag.ms per topic' },
  { name: 'log.cleaner.max.compaction.lag.ms', type: 'LONG', dynamic: false, check: longFrom(1), doc: 'a dirty section older than this is cleaned whatever its ratio; max.compaction.lag.ms per topic' },
  { name: 'log.segment.bytes', type: 'INT', dynamic: false, check: intIn(1024, 2 ** 31 - 1), doc: 'segment (or commit-log file) size' },
  { name: 'message.max.bytes', type: 'INT', dynamic: false, check: intIn(61, 2 ** 31 - 1), doc: 'largest record batch accepted' },
  { name: 'socket.request.max.bytes', type: 'INT', dynamic: false, check: intIn(64, 2 ** 31 - 1), doc: 'largest request frame accepted' },
  { name: 'max.connections', type: 'INT', dynamic: false, check: intIn(1, 1_000_000), doc: 'open connections at once' },
  { name: 'socket.listen.backlog.size', type: 'INT', dynamic: false, check: intIn(1, 65_535), doc: 'connections the kernel queues before the broker accepts them (capped by net.core.somaxconn); beyond it new connections wait for a SYN retry' },
  { name: 'mqlab.heap.growing.percent', type: 'INT', dynamic: false, check: intIn(0, 1000), doc: 'mqlab serve: after each full garbage collection, V8 lets the JavaScript heap grow to (1 + this/100) times what survived before collecting again (V8\'s --heap-growing-percent; 0: V8\'s own policy, which for the broker\'s small heap starts the next collection almost at once; see README, Garbage collection)' },
  { name: 'mqlab.max.partitions', type: 'INT', dynamic: false, check: intIn(1, 1_000_000), doc: 'partitions of all topics together, internal ones included: each costs memory and files on disk (open files are bounded apart: mqlab.storage.max.open.files)' },
  { name: 'mqlab.producer.snapshot.interval.ms', type: 'LONG', dynamic: false, check: intIn(0, 2 ** 31 - 1), doc: 'how often the broker snapshots its producer state (idempotent sequences, open and aborted transactions) while logs grow, so a start after a crash scans the logs only past the snapshot; always at a clean stop; 0: only then (see README, Producer-state snapshots)' },
  { name: 'mqlab.storage.max.open.files', type: 'INT', dynamic: false, check: openFilesBudget, doc: `files the storage engine keeps open at most (segment logs and indexes, consume-queue files): the least recently used is closed when one more must open, and opened again when next used; at least ${MIN_OPEN_FILES}, or -1: what the open-file limit (ulimit -n) leaves after max.connections and 256 of the broker's own (half the limit where that leaves less than a quarter of it)` },
  { name: 'queued.max.request.bytes', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'request bytes held across all connections before they stop reading' },
  { name: 'mqlab.connection.max.unsent.bytes', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'response bytes of one connection not yet sent (slow reader, or waiting in order) before it starts no further request' },
  { name: 'mqlab.max.unsent.memory.bytes', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'in-memory response bytes not yet sent across all connections before every connection starts no further request' },
  { name: 'connections.max.idle.ms', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'close a connection idle this long' },
  { name: 'max.incremental.fetch.session.cache.slots', type: 'INT', dynamic: false, check: intIn(0, 100_000), doc: 'incremental fetch sessions (KIP-227) kept at once, broker-wide; a new one evicts an idle or smaller one, or is not opened (0: fetches are all sessionless)' },
  { name: 'mqlab.fetch.session.max.partitions', type: 'INT', dynamic: false, check: intIn(1, 10_000_000), doc: 'partitions in one fetch session: a full fetch naming more opens none; an incremental one adding past it ends its session (FETCH_SESSION_ID_NOT_FOUND)' },
  { name: 'mqlab.fetch.session.cache.max.partitions', type: 'LONG', dynamic: false, check: intIn(1, 1_000_000_000), doc: 'partitions across all fetch sessions: a new session that does not fit evicts as for a slot, or is not opened; an incremental fetch adding past it ends its session' },
  { name: 'group.initial.rebalance.delay.ms', type: 'INT', dynamic: false, check: intIn(0, 300_000), doc: 'how long a new group waits for more members before its first rebalance' },
  { name: 'group.min.session.timeout.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'smallest session timeout a member may ask for' },
  { name: 'group.max.session.timeout.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'largest session timeout a member may ask for' },
  { name: 'group.consumer.session.timeout.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'consumer groups (KIP-848): a member not heard from this long is removed and its partitions reassigned' },
  { name: 'group.consumer.heartbeat.interval.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'consumer groups (KIP-848): how often members are told to heartbeat; must be below the session timeout' },
  { name: 'group.consumer.max.size', type: 'INT', dynamic: false, check: intIn(1, 1_000_000), doc: 'consumer groups (KIP-848): members of one group at most; more are refused with GROUP_MAX_SIZE_REACHED (Kafka has no limit by default)' },
  { name: 'group.consumer.assignors', type: 'STRING', dynamic: false, check: assignorList, doc: 'consumer groups (KIP-848): the server-side assignors members may name, comma-separated, uniform and/or range; the first is the default' },
  { name: 'mqlab.storage.engine', type: 'STRING', dynamic: false, check: oneOf(['segmented', 'commitlog']), doc: 'segmented (Kafka-style) or commitlog (RocketMQ-style)' },
  { name: 'mqlab.workers', type: 'INT', dynamic: false, check: intIn(1, 64), doc: 'Kafka nodes this broker runs, each on a thread of its own with its own port (the listener\'s port + n), storage and partitions; node 0 is the controller and coordinator (README, "More cores: mqlab.workers")' },
  { name: 'mqlab.workers.ports', type: 'STRING', dynamic: false, check: portList, doc: 'the ports of nodes 1..N-1 under mqlab.workers, comma-separated (0: a free one); empty: the listener\'s port + n' },
  { name: 'mqlab.flush', type: 'STRING', dynamic: false, check: flushValue, doc: 'none (page cache), batch (fsync before acks=-1 answers, group commit) or an interval in ms' },
  { name: 'timer.max.delay.ms', type: 'LONG', dynamic: false, check: intIn(1_000, 365 * 24 * 3600 * 1000), doc: 'RocketMQ delayed messages: the latest delivery time accepted, from now (RocketMQ timerMaxDelaySec); later answers ILLEGAL_DELIVERY_TIME' },
  { name: 'use.delay.level', type: 'BOOLEAN', dynamic: false, check: bool, doc: 'RocketMQ delayed messages: deliver each at the shortest of message.delay.level longer than the wait asked for (the longest past them all), as RocketMQ 5\'s proxy with useDelayLevel; false keeps the time asked for' },
  { name: 'message.delay.level', type: 'STRING', dynamic: false, check: checkDelayLevels, doc: 'RocketMQ\'s delay levels (messageDelayLevel), level 1 first, separated by spaces; each 1s to 365d, in ms, s, m, h or d' },
  { name: 'timer.precision.ms', type: 'INT', dynamic: false, check: intIn(10, 60_000), doc: 'RocketMQ delayed messages: width of a timer wheel slot, the most a message is delivered late (RocketMQ timerPrecisionMs, 1000 there)' },
  { name: 'timer.max.pending.messages', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'RocketMQ delayed messages pending at most; more answer TOO_MANY_REQUESTS' },
  { name: 'timer.log.max.bytes', type: 'LONG', dynamic: false, check: intIn(1024 * 1024, 2 ** 50), doc: 'disk the timer log may take (pending delayed messages and the files they keep); more answer TOO_MANY_REQUESTS' },
  { name: 'transaction.timeout.ms', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'RocketMQ transactional messages: a half message not ended this long after it was sent is checked back with its producer (RocketMQ transactionTimeOut)' },
  { name: 'transaction.check.interval.ms', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'RocketMQ transactional messages: time between check-backs of one half message (RocketMQ transactionCheckInterval)' },
  { name: 'transaction.check.max', type: 'INT', dynamic: false, check: intIn(0, 1_000_000), doc: 'RocketMQ transactional messages: check-backs of one half message before it is discarded to TRANS_CHECK_MAX_TIME_TOPIC (RocketMQ transactionCheckMax)' },
  { name: 'rocketmq.max.request.bytes', type: 'INT', dynamic: false, check: intIn(1024, 2 ** 31 - 1), doc: 'RocketMQ endpoint: the largest gRPC message taken (raised to message.max.bytes + 64 KiB if smaller); larger ends the call with RESOURCE_EXHAUSTED' },
  { name: 'rocketmq.max.connections', type: 'INT', dynamic: false, check: intIn(1, 1_000_000), doc: 'RocketMQ endpoint: TCP connections at once; more are closed as they arrive' },
  { name: 'rocketmq.connection.max.unsent.bytes', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'RocketMQ endpoint: received messages of one connection not yet sent (a slow reader) before its receives are answered TOO_MANY_REQUESTS' },
  { name: 'rocketmq.max.unsent.bytes', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'RocketMQ endpoint: received messages not yet sent across all connections before receives are answered TOO_MANY_REQUESTS' },
  { name: 'rocketmq.max.concurrent.streams', type: 'INT', dynamic: false, check: intIn(1, 1_000_000), doc: 'RocketMQ endpoint: calls at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); more are refused (REFUSED_STREAM)' },
  { name: 'rocketmq.offset.commit.interval.ms', type: 'INT', dynamic: false, check: intIn(1, 3_600_000), doc: 'RocketMQ consumption: the most a group\'s committed offset lags in the offset store behind its acks (RocketMQ flushConsumerOffsetInterval, 5000 there); the pop journal keeps acks meanwhile' },
  { name: 'rocketmq.pop.state.idle.ms', type: 'LONG', dynamic: false, check: intIn(1000, 2 ** 31 - 2), doc: 'RocketMQ consumption: a consumer group\'s state of a queue with nothing out, held or to commit, and no receive or ack this long, is let go (made again from the committed offset at the next one), so groups that come and go do not add up in memory' },
  { name: 'rocketmq.connections.max.idle.ms', type: 'LONG', dynamic: false, check: intIn(100, 2 ** 31 - 2), doc: 'RocketMQ endpoint: close a connection on which no byte has moved either way this long, calls open or not (one in its TLS handshake or that never sent its HTTP/2 preface too)' },
  { name: 'transaction.max.timeout.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'Kafka transactions: the longest transaction.timeout.ms a producer may ask for; longer answers INVALID_TRANSACTION_TIMEOUT' },
  { name: 'transactional.id.expiration.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'Kafka transactions: a transactional id with no transaction open and no request this long is forgotten' },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'INT', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'Kafka transactions: how often open transactions past their timeout are aborted (their producer fenced) and expired ids forgotten' },
  { name: 'transaction.version', type: 'INT', dynamic: false, check: intIn(0, 2), doc: 'Kafka transactions: the transaction.version feature level finalized in ApiVersions (KIP-890). 2: EndTxn v5 bumps the producer epoch at the end of every transaction, and Produce v12 and TxnOffsetCommit v5 add their partition or group to the transaction themselves; 0 or 1: clients add them first (AddPartitionsToTxn, AddOffsetsToTxn) and the epoch stays' },
  { name: 'mqlab.transactional.ids.max', type: 'INT', dynamic: false, check: intIn(1, 10_000_000), doc: 'Kafka transactions: transactional ids known at once (each is held in memory and replayed at startup); InitProducerId for one more answers POLICY_VIOLATION' },
  { name: 'listener.security.protocol.map', type: 'STRING', dynamic: false, check: protocolMap, doc: 'the security protocol of each listener name, NAME:PROTOCOL comma-separated; a listener named after a protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) has that one unless mapped otherwise' },
  { name: 'ssl.keystore.type', type: 'STRING', dynamic: false, check: oneOf(['PEM', 'PKCS12']), listenerScoped: true, doc: 'SSL and SASL_SSL listeners: PEM (one file, the private key and its certificate chain) or PKCS12' },
  { name: 'ssl.keystore.location', type: 'STRING', dynamic: false, check: anything, listenerScoped: true, doc: 'SSL and SASL_SSL listeners: the key store file (required for them)' },
  { name: 'ssl.keystore.password', type: 'STRING', dynamic: false, check: anything, listenerScoped: true, sensitive: true, doc: 'the PKCS12 key store\'s password' },
  { name: 'ssl.key.password', type: 'STRING', dynamic: false, check: anything, listenerScoped: true, sensitive: true, doc: 'the password of an encrypted private key in the key store' },
  { name: 'ssl.truststore.type', type: 'STRING', dynamic: false, check: oneOf(['PEM']), listenerScoped: true, doc: 'PEM: the certificates of the authorities whose client certificates are trusted' },
  { name: 'ssl.truststore.location', type: 'STRING', dynamic: false, check: anything, listenerScoped: true, doc: 'the trust store file (needed when ssl.client.auth is requested or required)' },
  { name: 'ssl.client.auth', type: 'STRING', dynamic: false, check: oneOf(['none', 'requested', 'required']), listenerScoped: true, doc: 'client certificates on SSL and SASL_SSL listeners: not asked for, asked for, or required; on an SSL listener a client certificate\'s subject is the principal (User:<its distinguished name>)' },
  { name: 'sasl.enabled.mechanisms', type: 'STRING', dynamic: false, check: mechanismList, listenerScoped: true, doc: 'SASL mechanisms of SASL_PLAINTEXT and SASL_SSL listeners, comma-separated: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (PLAIN checks the password against the user\'s SCRAM credentials)' },
  { name: 'connections.max.reauth.ms', type: 'LONG', dynamic: false, check: intIn(0, 2 ** 50), listenerScoped: true, doc: 'SASL sessions last this long (KIP-368): the client must re-authenticate on the connection before then, or it is closed at its next request; 0: sessions do not expire' },
  { name: 'sasl.server.max.receive.size', type: 'INT', dynamic: false, check: intIn(64, 2 ** 31 - 1), doc: 'the largest frame a connection may send before its SASL login (a larger one closes it): unauthenticated clients cannot make the broker hold more' },
  { name: 'mqlab.authentication.timeout.ms', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 31 - 1), doc: 'a connection that has not finished its TLS handshake and SASL login this long after it opened is closed (it counts against max.connections meanwhile)' },
  { name: 'authorizer.class.name', type: 'STRING', dynamic: false, check: checkAuthorizerClassName, doc: 'ACLs: empty for no authorizer (every principal may do everything; the ACL APIs answer SECURITY_DISABLED); org.apache.kafka.metadata.authorizer.StandardAuthorizer, kafka.security.authorizer.AclAuthorizer or mqlab for mqlab\'s, which decides by Kafka\'s StandardAuthorizer rules over the ACLs kept in <data>/__security/acls.json' },
  { name: 'super.users', type: 'STRING', dynamic: false, check: checkSuperUsers, doc: 'ACLs: principals allowed everything whatever the ACLs say, separated by \';\' (User:admin;User:ops)' },
  { name: 'allow.everyone.if.no.acl.found', type: 'BOOLEAN', dynamic: false, check: bool, doc: 'ACLs: whether a resource no ACL covers (none on its name, a prefix of it or *) is open to every principal, or to super users alone' },
  { name: 'transaction.max.pending.messages', type: 'LONG', dynamic: false, check: intIn(1, 2 ** 40), doc: 'RocketMQ half messages neither committed nor rolled back at most; more answer TOO_MANY_REQUESTS' },
];

/** Topic configs: a topic's value overrides the broker's (the name in `broker`). */
export const TOPIC_DEFS: (ConfigDef & { broker: string; fallback?: string })[] = [
  { name: 'retention.ms', broker: 'log.retention.ms', type: 'LONG', dynamic: true, check: intIn(-1, Number.MAX_SAFE_INTEGER), doc: 'delete data older than this (-1: never)' },
  { name: 'retention.bytes', broker: 'log.retention.bytes', type: 'LONG', dynamic: true, check: intIn(-1, Number.MAX_SAFE_INTEGER), doc: 'per partition, delete the oldest data beyond this size (-1: never)' },
  { name: 'cleanup.policy', broker: '', type: 'STRING', dynamic: true, check: oneOf(CLEANUP_POLICIES), doc: 'delete (retention), compact (the latest value per key; segmented engine only) or compact,delete (both)' },
  { name: 'delete.retention.ms', broker: 'log.cleaner.delete.retention.ms', type: 'LONG', dynamic: true, check: intIn(0, Number.MAX_SAFE_INTEGER), doc: 'compacted topics: how long a tombstone stays after the cleaning that first saw it' },
  { name: 'min.cleanable.dirty.ratio', broker: 'log.cleaner.min.cleanable.ratio', type: 'DOUBLE', dynamic: true, check: ratio, doc: 'compacted topics: dirty bytes / all cleanable bytes at which the log is cleaned' },
  { name: 'min.compaction.lag.ms', broker: 'log.cleaner.min.compaction.lag.ms', type: 'LONG', dynamic: true, check: intIn(0, Number.MAX_SAFE_INTEGER), doc: 'compacted topics: records newer than this are not cleaned' },
  { name: 'max.compaction.lag.ms', broker: 'log.cleaner.max.compaction.lag.ms', type: 'LONG', dynamic: true, check: longFrom(1), doc: 'compacted topics: a dirty section older than this is cleaned whatever its ratio' },
  { name: 'segment.bytes', broker: 'log.segment.bytes', type: 'INT', dynamic: true, check: intIn(1024, 2 ** 31 - 1), doc: 'segmented engine: bytes per segment of this topic (from the next roll)' },
  { name: 'segment.ms', broker: 'log.roll.ms', type: 'LONG', dynamic: true, check: intIn(1, Number.MAX_SAFE_INTEGER), doc: 'segmented engine: roll the active segment this long after it was opened' },
  { name: 'message.type', broker: '', fallback: 'NORMAL', type: 'STRING', dynamic: true, check: oneOf(['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']), doc: 'the RocketMQ message type its producers may send (RocketMQ clients only; Kafka producers are not checked)' },
];

export const BROKER_CONFIG_DEFAULTS: Record<string, string> = {
  'transfer.strategy': 'sendfile',
  'auto.create.topics.enable': 'true',
  'num.partitions': '1',
  'log.retention.check.interval.ms': String(5 * 60 * 1000),
  'log.retention.ms': String(7 * 24 * 3600 * 1000),
  'log.retention.bytes': '-1',
  'log.segment.bytes': String(1024 * 1024 * 1024),
  'log.roll.ms': String(7 * 24 * 3600 * 1000),
  'log.cleaner.enable': 'true',
  'log.cleaner.io.max.bytes.per.second': String(16 * 1024 * 1024),
  'log.cleaner.backoff.ms': '15000',
  'log.cleaner.dedupe.buffer.size': String(32 * 1024 * 1024),
  'log.cleaner.delete.retention.ms': String(24 * 3600 * 1000),
  'log.cleaner.min.cleanable.ratio': '0.5',
  'log.cleaner.min.compaction.lag.ms': '0',
  'log.cleaner.max.compaction.lag.ms': '9223372036854775807',
  'message.max.bytes': String(1024 * 1024 + 12),
  'socket.request.max.bytes': String(100 * 1024 * 1024),
  'max.connections': '10000',
  'socket.listen.backlog.size': '4096',
  'mqlab.heap.growing.percent': '300',
  'mqlab.max.partitions': '2000',
  'mqlab.storage.max.open.files': '-1',
  'mqlab.producer.snapshot.interval.ms': '60000',
  'connections.max.idle.ms': String(10 * 60 * 1000),
  'queued.max.request.bytes': String(512 * 1024 * 1024),
  'mqlab.connection.max.unsent.bytes': String(64 * 1024 * 1024),
  'mqlab.max.unsent.memory.bytes': String(256 * 1024 * 1024),
  'max.incremental.fetch.session.cache.slots': '1000',
  'mqlab.fetch.session.max.partitions': '10000',
  'mqlab.fetch.session.cache.max.partitions': '1000000',
  'group.initial.rebalance.delay.ms': '3000',
  'group.min.session.timeout.ms': '6000',
  'group.max.session.timeout.ms': '1800000',
  'group.consumer.session.timeout.ms': '45000',
  'group.consumer.heartbeat.interval.ms': '5000',
  'group.consumer.max.size': '1000',
  'group.consumer.assignors': 'uniform,range',
  'mqlab.storage.engine': 'segmented',
  'mqlab.flush': 'none',
  'mqlab.workers': '1',
  'mqlab.workers.ports': '',
  'timer.max.delay.ms': String(3 * 24 * 3600 * 1000),
  'timer.precision.ms': '100',
  'use.delay.level': 'false',
  'message.delay.level': DEFAULT_DELAY_LEVELS,
  'timer.max.pending.messages': '1000000',
  'timer.log.max.bytes': String(4 * 1024 * 1024 * 1024),
  'transaction.timeout.ms': '6000',
  'transaction.check.interval.ms': '30000',
  'transaction.check.max': '15',
  'transaction.max.pending.messages': '100000',
  'transaction.max.timeout.ms': '900000',
  'transactional.id.expiration.ms': String(7 * 24 * 3600 * 1000),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '10000',
  'transaction.version': '2',
  'mqlab.transactional.ids.max': '100000',
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
  'ssl.keystore.type': 'PEM',
  'ssl.keystore.location': '',
  'ssl.keystore.password': '',
  'ssl.key.password': '',
  'ssl.truststore.type': 'PEM',
  'ssl.truststore.location': '',
  'ssl.client.auth': 'none',
  'sasl.enabled.mechanisms': SASL_MECHANISMS.join(','),
  'connections.max.reauth.ms': '0',
  'mqlab.authentication.timeout.ms': '10000',
  'sasl.server.max.receive.size': '524288',
  'authorizer.class.name': '',
  'super.users': '',
  'allow.everyone.if.no.acl.found': 'false',
  'rocketmq.max.request.bytes': String(4 * 1024 * 1024),
  'rocketmq.max.connections': '1000',
  'rocketmq.connection.max.unsent.bytes': String(64 * 1024 * 1024),
  'rocketmq.max.unsent.bytes': String(256 * 1024 * 1024),
  'rocketmq.max.concurrent.streams': '100',
  'rocketmq.connections.max.idle.ms': String(5 * 60 * 1000),
  'rocketmq.offset.commit.interval.ms': '200',
  'rocketmq.pop.state.idle.ms': String(10 * 60 * 1000),
};

export type ConfigSource = 'DYNAMIC_BROKER_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG' | 'DYNAMIC_TOPIC_CONFIG' | 'GROUP_CONFIG';

/** One place a config's value may come from, as Kafka's DescribeConfigs synonyms list them. */
export interface ConfigSynonym {
  name: string;
  value: string;
  source: ConfigSource;
}

export interface ConfigEntry {
  name: string;
  value: string;
  readOnly: boolean;
  /** Where the value comes from, as Kafka's DescribeConfigs says it. */
  source: ConfigSource;
  /** Not set on the resource itself (its own override, or a broker setting for a broker config). */
  isDefault: boolean;
  type: ConfigType;
  doc: string;
  /** Every place that sets it, the one in force first (so never empty). */
  synonyms: ConfigSynonym[];
  /** A password: its value is never shown. */
  sensitive: boolean;
}

/** An entry whose value and source are those of the first synonym, the one in force. */
export function configEntry(def: ConfigDef, synonyms: ConfigSynonym[], isDefault: boolean): ConfigEntry {
  const [inForce] = synonyms;
  if (!inForce) throw new Error(`config ${def.name} has no value anywhere`);
  return { name: def.name, value: inForce.value, readOnly: !def.dynamic, source: inForce.source, isDefault, type: def.type, doc: def.doc, synonyms, sensitive: def.sensitive === true };
}

export function brokerConfigDef(name: string): ConfigDef | undefined {
  return BROKER_DEFS.find((d) => d.name === name) ?? listenerScopedDef(name);
}

/** `listener.name.<listener>.<config>`: Kafka lower-cases the listener name in the prefix. */
export const LISTENER_PREFIXED = /^listener\.name\.([a-z0-9_]+)\.(.+)$/;

function listenerScopedDef(name: string): ConfigDef | undefined {
  const m = LISTENER_PREFIXED.exec(name);
  const base = m ? BROKER_DEFS.find((d) => d.name === m[2] && d.listenerScoped) : undefined;
  return base && { ...base, name };
}

export function topicConfigDef(name: string): (ConfigDef & { broker: string }) | undefined {
  return TOPIC_DEFS.find((d) => d.name === name);
}

/** Checks a whole set of broker settings (a config file's, say): throws on the first bad one. */
export function checkBrokerSettings(settings: Record<string, string>): void {
  for (const [name, value] of Object.entries(settings)) {
    const def = brokerConfigDef(name);
    if (!def) throw new BrokerError('INVALID_CONFIG', `unknown broker config "${name}" (known: ${BROKER_DEFS.map((d) => d.name).join(', ')})`);
    const why = def.check(value);
    if (why) throw new BrokerError('INVALID_CONFIG', `${name}=${value}: ${why}`);
  }
}

/** Checks a topic config change; `supported` says what the engine can honour per topic. */
export function checkTopicConfig(name: string, value: string): void {
  const def = topicConfigDef(name);
  if (!def) throw new BrokerError('INVALID_CONFIG', `unknown or unsupported topic config "${name}" (supported: ${TOPIC_DEFS.map((d) => d.name).join(', ')})`);
  const why = def.check(value);
  if (why) throw new BrokerError('INVALID_CONFIG', `${name}=${value}: ${why}`);
}
