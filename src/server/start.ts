// A running broker: storage, the Broker, and the Kafka listeners wired to
// the protocol handlers. `mqlab serve` and the tests start it the same way.
import { Broker } from '../broker/broker.js';
import { BROKER_CONFIG_DEFAULTS } from '../broker/configs.js';
import type { GroupClock } from '../broker/groups/clock.js';
import { KafkaServer } from '../broker/network/server.js';
import { startRocketMq, type RocketMqEndpoint } from '../protocol/rocketmq/server.js';
import type { StrategyName } from '../native/addon.js';
import { createDispatcher } from './dispatch.js';
import type { AclStore } from '../broker/security/acl-store.js';
import { authorizerSettings, type Authorizer } from '../broker/security/authorizer.js';
import type { CredentialStore } from '../broker/security/credentials.js';
import type { SecurityProtocol } from '../broker/network/session.js';
import { certificatePrincipal, resolveListeners, rocketmqTlsKeyPair } from './listeners.js';
import { networkLimits, parseFlush, type ServeSettings } from './settings.js';
import { openFilesWarning, storageMaxOpenFiles } from '../broker/open-files.js';
import { processOpenFileLimit } from '../storage/file-limit.js';
import { ClusterView, type NodeAddress } from './cluster.js';
import { asBuffer } from './port-rpc.js';
import { checkNodeCount, recordNodeCount, WorkerNodes } from './worker-nodes.js';
import { forwardTo, nodeRole, serveNodeCalls, workerModeSettings, type NodeLink } from './node-wiring.js';

export interface RunningBroker {
  broker: Broker;
  /** The first listener's address. */
  host: string;
  port: number;
  /** Every Kafka listener, with the port it got. */
  listeners: { name: string; protocol: SecurityProtocol; host: string; port: number }[];
  /** Users SASL logins are checked against. */
  credentials: CredentialStore;
  /** The ACLs, and the authorizer that decides by them (allowing everything when none is configured). */
  acls: AclStore;
  authorizer: Authorizer;
  /** The RocketMQ gRPC endpoint on the same host, when asked for. */
  rocketmq: RocketMqEndpoint | null;
  /** The Kafka nodes: this one alone, or with mqlab.workers node 0 (this) and the worker threads' nodes. */
  nodes: NodeAddress[];
  /** Stops accepting, closes connections, flushes and closes the storage. */
  close(): Promise<void>;
}

export type ServerLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** What only a caller in the same process can hand in. */
export interface StartOptions {
  /** Serve RocketMQ's gRPC API on this port (0 picks a free one); absent: no RocketMQ endpoint. */
  rocketmqPort?: number;
  /** Serve it over TLS with the broker's PEM key store. */
  rocketmqTls?: boolean;
  /** The group coordinator's timers (a test's ManualClock); Node's timers by default. */
  groupClock?: GroupClock;
  /** The clock fetch sessions age by (a test's, moved by hand); Date.now by default. */
  fetchSessionClock?: () => number;
  /** The clock SASL sessions end by (connections.max.reauth.ms); Date.now by default. */
  securityClock?: () => number;
  /** mqlab.workers: a node other than 0 failed, and its partitions with it; the process should stop. Logged by default. */
  onFatal?: (err: Error) => void;
  /** Set by worker-node.ts only: this is a node other than 0 of a mqlab.workers cluster (node-wiring.ts). */
  node?: NodeLink;
}

export async function startBroker(given: ServeSettings, log: ServerLog = () => undefined, options: StartOptions = {}): Promise<RunningBroker> {
  const size = Number(given.configs['mqlab.workers'] ?? BROKER_CONFIG_DEFAULTS['mqlab.workers']);
  const link = options.node ?? null;
  const settings = size > 1 ? workerModeSettings(given, options.rocketmqPort !== undefined) : given;
  const c = (name: string): string => settings.configs[name] ?? BROKER_CONFIG_DEFAULTS[name]!;
  // Listener and TLS settings first: a key store that cannot be read stops the start before any data is opened.
  const listeners = resolveListeners(settings);
  const authorization = authorizerSettings(c);
  const cluster = new ClusterView(link?.id ?? 0, size);
  if (!link) checkNodeCount(settings.dataDir, size);
  const others = size > 1 && !link ? await WorkerNodes.start(settings, cluster, log, options.onFatal ?? ((err) => log('error', err.message))) : null;
  // Under mqlab.workers the nodes share the process's open-file limit: each budgets its sockets and storage from its share.
  const processLimit = processOpenFileLimit();
  const fileLimit = processLimit === null ? null : Math.floor(processLimit / size);
  // Both listeners hold a socket per connection: the storage's file budget leaves room for them all.
  const maxConnections = Number(c('max.connections')) + (options.rocketmqPort !== undefined ? Number(c('rocketmq.max.connections')) : 0);
  const files = openFilesWarning(fileLimit, maxConnections, storageMaxOpenFiles(Number(c('mqlab.storage.max.open.files')), fileLimit, maxConnections));
  if (files) log('warn', files);
  const broker = new Broker({
    dataDir: settings.dataDir,
    openFileLimit: fileLimit,
    engine: c('mqlab.storage.engine'),
    flush: parseFlush(c('mqlab.flush')),
    transfer: c('transfer.strategy') as StrategyName,
    autoCreateTopics: c('auto.create.topics.enable') === 'true',
    numPartitions: Number(c('num.partitions')),
    segmentBytes: settings.configs['log.segment.bytes'] ? Number(settings.configs['log.segment.bytes']) : undefined,
    maxBatchBytes: Number(c('message.max.bytes')),
    maxSockets: maxConnections,
    retention: { retentionMs: Number(c('log.retention.ms')), retentionBytes: Number(c('log.retention.bytes')) },
    retentionCheckIntervalMs: Number(c('log.retention.check.interval.ms')),
    groups: {
      initialRebalanceDelayMs: Number(c('group.initial.rebalance.delay.ms')),
      minSessionTimeoutMs: Number(c('group.min.session.timeout.ms')),
      maxSessionTimeoutMs: Number(c('group.max.session.timeout.ms')),
      consumer: {
        sessionTimeoutMs: Number(c('group.consumer.session.timeout.ms')),
        heartbeatIntervalMs: Number(c('group.consumer.heartbeat.interval.ms')),
        maxSize: Number(c('group.consumer.max.size')),
        assignors: c('group.consumer.assignors').split(',').map((n) => n.trim()),
      },
    },
    settings: settings.configs,
    log: (m) => log('info', m),
    groupClock: options.groupClock,
    fetchSessionClock: options.fetchSessionClock,
    node: nodeRole(link, others),
  });
  if (size > 1) broker.topics.leads = (t, p) => cluster.leads(t, p);
  others?.attach(broker);
  try {
    await broker.open();
  } catch (err) {
    await others?.close();
    throw err;
  }
  const { credentials, acls, authorizer } = broker.security;
  if (authorization.enabled) {
    const supers = authorization.superUsers.length > 0 ? authorization.superUsers.join(';') : 'none';
    log('info', `authorizer: ${acls.count} ACLs, super users ${supers}, allow.everyone.if.no.acl.found=${authorization.allowEveryoneIfNoAclFound}`);
  }
  let server: KafkaServer | null = null;
  let rocketmq: RocketMqEndpoint | null = null;
  try {
    // One handler context per listener: Metadata and FindCoordinator name the listener the client came through.
    const network = listeners.map((l) => {
      const ctx = {
        broker,
        nodeId: cluster.nodeId,
        cluster,
        host: l.host,
        port: l.port,
        clusterId: 'mqlab',
        apis: [],
        log,
        credentials,
        acls,
        authorizer,
        now: options.securityClock ?? Date.now,
        // A copy of its own size: the frame is a view into a socket read, all of which a structured clone would copy.
        forward: link ? (frame: Buffer, clientHost: string) => link.rpc.call<Uint8Array | null>('forward', { frame: Uint8Array.prototype.slice.call(frame), clientHost }).then((u) => u && asBuffer(u)) : undefined,
        settle: others ? { mark: () => others.mark(), after: (mark: number) => others.settle(mark) } : undefined,
      };
      return { ...l, handler: createDispatcher(ctx), ctx };
    });
    server = new KafkaServer({ listeners: network, limits: networkLimits(settings.configs), transfer: broker.transfer, log, certificatePrincipal, onLoginFailed: (where) => broker.security.audit.loginFailed(where) });
    const address = await server.listen();
    // Port 0 picks a free port: tell clients the real one.
    for (const l of network) l.ctx.port = l.port;
    if (link) serveNodeCalls(link.rpc, broker, cluster);
    if (others) {
      // Advertised as the listener's host, as a single node advertises it (not the address it resolved to).
      const host = network[0]!.host;
      const addresses = [{ nodeId: 0, host, port: address.port }, ...others.addresses(host)];
      cluster.setAddresses(addresses);
      await others.serve(forwardTo(network[0]!), addresses);
      recordNodeCount(settings.dataDir, size);
    }
    if (options.rocketmqPort !== undefined) rocketmq = await startRocketMq(broker, { host: listeners[0]!.host, port: options.rocketmqPort, log, tls: options.rocketmqTls ? rocketmqTlsKeyPair(settings.configs) : undefined });
    const r = rocketmq;
    let closing: Promise<void> | null = null;
    const s = server;
    return {
      broker,
      host: address.host,
      port: address.port,
      listeners: network.map((l) => ({ name: l.name, protocol: l.protocol, host: l.host, port: l.port })),
      credentials,
      acls,
      authorizer,
      rocketmq: r,
      nodes: cluster.nodes({ host: address.host, port: address.port }),
      close: () => (closing ??= (async () => {
        await r?.close();
        await s.close();
        await others?.close();
        await broker.close();
      })()),
    };
  } catch (err) {
    await rocketmq?.close();
    await server?.close().catch(() => undefined);
    await others?.close();
    await broker.close();
    throw err;
  }
}
