// The RocketMQ endpoint: a gRPC server (insecure: loopback by default, like
// the Kafka listener) serving MessagingService over the same broker, on
// mqlab's own HTTP/2 (../grpc/server.ts says why).
import { GrpcServer } from '../grpc/server.js';
import type { Broker } from '../../broker/broker.js';
import { join } from 'node:path';
import { PopService } from '../../broker/rocketmq/pop-service.js';
import { PopJournal } from '../../broker/rocketmq/pop-journal.js';
import { TimerStore, type TimerSettings } from '../../broker/rocketmq/timer/timer-store.js';
import { parseDelayLevels } from '../../broker/rocketmq/timer/delay-levels.js';
import { TransactionStore, type TransactionSettings } from '../../broker/rocketmq/transaction/transaction-store.js';
import { orphanCommand } from './orphan.js';
import { ProducerStreams } from './producers.js';
import { PROPERTY_ROOM_BYTES } from '../../broker/rocketmq/publish.js';
import { messagingService } from './proto.js';
import { messagingHandlers, type ServiceContext } from './service.js';
import { UnsentBytes } from './unsent-bytes.js';
import { SettingsEcho } from './settings-echo.js';

export const DEFAULT_ROCKETMQ_PORT = 8081;

export interface RocketMqEndpoint {
  host: string;
  port: number;
  /** ReceiveMessage and PullMessage calls being served now (long polls included). */
  receiving(): number;
  /** Bytes of received and pulled messages written to their streams and not yet sent (what rocketmq.max.unsent.bytes bounds). */
  unsentBytes(): number;
  /** Transactions whose half message is stored and not yet ended (committed, rolled back or discarded). */
  openTransactions(): number;
  /** Log bytes consumers' receives and pulls have read (tag filtering's cost shows here). */
  logBytesRead(): number;
  /** Consumer groups' queue states held (rocketmq.pop.state.idle.ms lets idle ones go). */
  popQueues(): number;
  /** Stores now the consumer offsets acks have moved (else within rocketmq.offset.commit.interval.ms), and waits for commits under way. */
  commitOffsets(): Promise<void>;
  close(): Promise<void>;
}

export interface RocketMqOptions {
  host: string;
  port: number;
  /** Serve over TLS with this key and certificate chain (PEM). */
  tls?: { privateKey: Buffer; certChain: Buffer };
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Answers queued behind a client's windows beyond rocketmq.connection.max.unsent.bytes (statuses, settings, acks): past both, its connection is closed. */
const QUEUED_SLACK_BYTES = 16 * 1024 * 1024;

/** How long close() lets calls finish before cancelling them. */
const GRACE_MS = 1_000;

/** The endpoint's limits, from the broker's rocketmq.* settings (README, "RocketMQ endpoint limits"). */
export interface RocketMqLimits {
  /** The largest gRPC message taken (larger: RESOURCE_EXHAUSTED): at least message.max.bytes + 64 KiB, so the largest message always fits. */
  maxRequestBytes: number;
  /** TCP connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** Received messages not yet sent, per connection and in all: past either, receives answer TOO_MANY_REQUESTS. */
  maxUnsentPerConnection: number;
  maxUnsent: number;
  /** Calls at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with REFUSED_STREAM. */
  maxConcurrentStreams: number;
  /** A connection with no call this long is closed (GOAWAY), one that never sent its HTTP/2 preface too. */
  idleMs: number;
}

export function rocketMqLimits(broker: Broker): RocketMqLimits {
  const n = (name: string): number => Number(broker.configs.get(name));
  return {
    maxRequestBytes: Math.max(n('rocketmq.max.request.bytes'), n('message.max.bytes') + PROPERTY_ROOM_BYTES),
    maxConnections: n('rocketmq.max.connections'),
    maxUnsentPerConnection: n('rocketmq.connection.max.unsent.bytes'),
    maxUnsent: n('rocketmq.max.unsent.bytes'),
    maxConcurrentStreams: n('rocketmq.max.concurrent.streams'),
    idleMs: n('rocketmq.connections.max.idle.ms'),
  };
}

export async function startRocketMq(broker: Broker, o: RocketMqOptions): Promise<RocketMqEndpoint> {
  const log = o.log ?? (() => undefined);
  const limits = rocketMqLimits(broker);
  const server = new GrpcServer({
    maxRequestBytes: limits.maxRequestBytes,
    maxConcurrentStreams: limits.maxConcurrentStreams,
    maxConnections: limits.maxConnections,
    idleMs: limits.idleMs,
    // Receives stop taking messages for a connection at its unsent bound; what passes that by far is a client that does not read its other answers either.
    maxQueuedBytes: limits.maxUnsentPerConnection + QUEUED_SLACK_BYTES,
    tls: o.tls ? { key: o.tls.privateKey, cert: o.tls.certChain } : undefined,
    log,
  });
  const address = { host: o.host, port: o.port };
  const timer = new TimerStore(broker, join(broker.config.dataDir, 'rocketmq', 'timer'), timerSettings(broker), broker.config.flush, (m) => log('warn', m));
  timer.open();
  const producers = new ProducerStreams();
  const transactions = new TransactionStore(broker, join(broker.config.dataDir, 'rocketmq', 'transaction'), transactionSettings(broker), (c) => {
    const call = producers.pick(c.topic, c.clientId);
    if (!call) return false;
    call.write(orphanCommand(c, `${address.host}:${address.port}`));
    return true;
  }, (m) => log('warn', m));
  transactions.start();
  const clients = new Map<string, number>();
  const journal = new PopJournal(broker.engine, broker.topics, (m) => log('warn', m), broker.config.maxBatchBytes, broker.config.flush.kind === 'batch');
  journal.open((g, t, p) => broker.coordinator.committed(g, t, p).offset);
  const ctx: ServiceContext = {
    broker,
    pop: new PopService(broker, (m) => log('warn', m), (id) => clients.has(id), journal, Number(broker.configs.get('rocketmq.offset.commit.interval.ms')), Number(broker.configs.get('rocketmq.pop.state.idle.ms'))),
    timer,
    transactions,
    producers,
    advertised: () => address,
    log,
    telemetry: new Set(),
    receiving: 0,
    pulledBytesRead: 0,
    clients,
    unsent: new UnsentBytes(limits.maxUnsentPerConnection, limits.maxUnsent),
    settingsEcho: new SettingsEcho(),
  };
  server.addService(messagingService(), messagingHandlers(ctx));
  try {
    address.port = await server.listen(o.host, o.port);
  } catch (err) {
    await server.close(0);
    await transactions.close();
    await timer.close();
    journal.close();
    throw err;
  }
  ctx.pop.start();
  let closing: Promise<void> | null = null;
  return {
    host: address.host,
    port: address.port,
    receiving: () => ctx.receiving,
    unsentBytes: () => ctx.unsent.total,
    openTransactions: () => transactions.openCount(),
    logBytesRead: () => ctx.pop.logBytesRead + ctx.pulledBytesRead,
    popQueues: () => ctx.pop.queueCount(),
    commitOffsets: () => ctx.pop.commitOffsets(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // Telemetry streams never end by themselves: end them, so shutdown can complete.
        for (const call of ctx.telemetry) {
          try {
            call.end();
          } catch {
            // already gone
          }
        }
        ctx.telemetry.clear();
        ctx.settingsEcho.clear();
        server.close(GRACE_MS).then(() => {
          Promise.all([timer.close(), transactions.close(), ctx.pop.close()]).finally(() => journal.close()).then(() => resolve(), (err: Error) => {
            log('error', `rocketmq: closing the timer or transaction store, or committing consumer offsets: ${err.message}`);
            resolve();
          });
        });
      })),
  };
}

/** Timer-log files: large enough for any one message. */
const TIMER_FILE_BYTES = 64 * 1024 * 1024;

function timerSettings(broker: Broker): TimerSettings {
  const n = (name: string): number => Number(broker.configs.get(name));
  return {
    precisionMs: n('timer.precision.ms'),
    maxDelayMs: n('timer.max.delay.ms'),
    maxPending: n('timer.max.pending.messages'),
    maxLogBytes: n('timer.log.max.bytes'),
    fileBytes: Math.max(TIMER_FILE_BYTES, n('message.max.bytes') + 2 * PROPERTY_ROOM_BYTES),
    delayLevelsMs: broker.configs.get('use.delay.level') === 'true' ? delayLevels(broker) : null,
  };
}

/** message.delay.level, each level within timer.max.delay.ms (a longer one could never be stored). */
function delayLevels(broker: Broker): number[] {
  const levels = parseDelayLevels(broker.configs.get('message.delay.level'));
  if (typeof levels === 'string') throw new Error(`message.delay.level: ${levels}`);
  const max = Number(broker.configs.get('timer.max.delay.ms'));
  const over = levels.findIndex((ms) => ms > max);
  if (over >= 0) throw new Error(`message.delay.level: level ${over + 1} (${levels[over]} ms) is longer than timer.max.delay.ms (${max} ms)`);
  return levels;
}

function transactionSettings(broker: Broker): TransactionSettings {
  const n = (name: string): number => Number(broker.configs.get(name));
  return {
    timeoutMs: n('transaction.timeout.ms'),
    checkIntervalMs: n('transaction.check.interval.ms'),
    checkMax: n('transaction.check.max'),
    maxPending: n('transaction.max.pending.messages'),
  };
}
