// `mqlab serve`: a broker in the foreground until SIGINT or SIGTERM, which
// close it cleanly (connections closed, storage flushed, clean-shutdown
// marker written).
import type { Command } from 'commander';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import type { Broker } from '../broker/broker.js';
import { DEFAULT_HTTP_PORT, startHttpApi, type HttpApi } from '../http/index.js';
import { startBroker } from '../server/start.js';
import { DEFAULT_ROCKETMQ_PORT } from '../protocol/rocketmq/server.js';
import { resetTransferCounters, transferCounters } from '../transfer/index.js';
import { resetStreamSendCounters, streamSendCounters } from '../transfer/stream-send.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS, readPropertiesFile } from '../server/settings.js';
import { httpTlsOptions } from '../server/listeners.js';
import { applyHeapPolicy, BROKER_NODE_FLAGS, youngGenerationSized } from '../server/heap-policy.js';
import { BROKER_CONFIG_DEFAULTS } from '../broker/configs.js';

interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  engine?: string;
  transfer?: string;
  flush?: string;
  workers?: string;
  config?: string;
  set?: string[];
  quiet?: boolean;
  httpPort: string;
  http: boolean;
  httpToken?: string;
  httpTls?: boolean;
  rocketmqPort: string;
  rocketmq: boolean;
  rocketmqTls?: boolean;
}

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start a Kafka-compatible broker (defaults: 127.0.0.1:9092, data under ./data, engine segmented, transfer sendfile, flush none)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default 9092)')
    .option('--data-dir <dir>', 'where the logs live (default ./data)')
    .option('--engine <engine>', 'segmented (Kafka-style) or commitlog (RocketMQ-style)')
    .option('--transfer <strategy>', 'sendfile, mmap or copy (changeable live: transfer.strategy)')
    .option('--flush <policy>', 'none, batch, or an interval in ms')
    .option('--workers <n>', 'Kafka nodes on as many threads, each with its own port (the listener\'s + n), partitions and storage (mqlab.workers; default 1)')
    .option('--config <file>', 'a server.properties file: key=value lines with Kafka config names')
    .option('--set <key=value...>', 'any broker config by Kafka name, e.g. --set num.partitions=3')
    .option('--http-port <port>', 'the HTTP API (health, /metrics, produce, fetch, admin) on the same host; 0 picks a free port', String(DEFAULT_HTTP_PORT))
    .option('--no-http', 'no HTTP API')
    .option('--http-tls', 'serve the HTTP API over HTTPS with the broker\'s key store (ssl.keystore.location, ssl.key.password)')
    .option('--http-token <token>', 'admin calls of the HTTP API need "Authorization: Bearer <token>" (or set MQLAB_ADMIN_TOKEN)')
    .option('--rocketmq-port <port>', 'RocketMQ 5 gRPC API (apache.rocketmq.v2.MessagingService) on the same host; 0 picks a free port', String(DEFAULT_ROCKETMQ_PORT))
    .option('--no-rocketmq', 'no RocketMQ endpoint')
    .option('--rocketmq-tls', 'serve the RocketMQ endpoint over TLS with the broker\'s PEM key store (ssl.keystore.location, ssl.key.password)')
    .option('--quiet', 'print only the address lines and errors')
    .action(async (o: ServeOptions) => {
      let settings = DEFAULT_SERVE_SETTINGS;
      try {
        if (o.config) settings = applyProperties(settings, readPropertiesFile(o.config));
        const flags: Record<string, string> = {};
        for (const kv of o.set ?? []) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new Error(`--set expects key=value, got "${kv}"`);
          flags[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        if (o.host !== undefined) flags.host = o.host;
        if (o.port !== undefined) flags.port = o.port;
        if (o.dataDir !== undefined) flags['log.dirs'] = o.dataDir;
        if (o.engine !== undefined) flags['mqlab.storage.engine'] = o.engine;
        if (o.transfer !== undefined) flags['transfer.strategy'] = o.transfer;
        if (o.flush !== undefined) flags['mqlab.flush'] = o.flush;
        if (o.workers !== undefined) flags['mqlab.workers'] = o.workers;
        settings = applyProperties(settings, flags);
      } catch (err) {
        console.error(`mqlab serve: ${(err as Error).message}`);
        process.exit(2);
      }
      const log = (level: 'info' | 'warn' | 'error', message: string): void => {
        if (level === 'info' && o.quiet) return;
        console.error(`[${new Date().toISOString()}] ${level.toUpperCase()} ${message}`);
      };
      applyHeapPolicy(Number(settings.configs['mqlab.heap.growing.percent'] ?? BROKER_CONFIG_DEFAULTS['mqlab.heap.growing.percent']));
      if (!youngGenerationSized()) log('info', `node was started without ${BROKER_NODE_FLAGS.join(' ')} (the mqlab command starts it so): V8's young generation stays small and a produce request costs the broker about a tenth more CPU`);
      const workers = Number(settings.configs['mqlab.workers'] ?? 1);
      if (workers > 1 && (o.rocketmq || o.http)) {
        log('info', `mqlab.workers=${workers} serves Kafka clients only: no ${[o.rocketmq ? 'RocketMQ endpoint' : '', o.http ? 'HTTP API' : ''].filter((x) => x).join(' and no ')} (README, "More cores: mqlab.workers")`);
        o.rocketmq = false;
        o.http = false;
      }
      const rocketmqPort = Number(o.rocketmqPort);
      if (o.rocketmq && (!Number.isInteger(rocketmqPort) || rocketmqPort < 0 || rocketmqPort > 65535)) {
        console.error(`mqlab serve: --rocketmq-port ${o.rocketmqPort}: expected a port number`);
        process.exit(2);
      }
      const onFatal = (err: Error): void => {
        log('error', `${err.message}: stopping`);
        process.exit(1);
      };
      const running = await startBroker(settings, log, { onFatal, ...(o.rocketmq ? { rocketmqPort, rocketmqTls: o.rocketmqTls === true } : {}) }).catch((err: Error) => {
        console.error(`mqlab serve: cannot start: ${err.message}`);
        process.exit(1);
      });
      const b = running.broker;
      console.log(`mqlab broker listening on ${running.host}:${running.port} (engine ${b.engine.kind}, transfer ${b.transfer.name}, flush ${b.configs.get('mqlab.flush')}, data ${settings.dataDir})`);
      for (const l of running.listeners) console.log(`mqlab listener ${l.name} (${l.protocol}) on ${l.host}:${l.port}`);
      for (const n of running.nodes.slice(1)) console.log(`mqlab node ${n.nodeId} (a worker thread) on ${n.host}:${n.port}`);
      if (running.rocketmq) console.log(`mqlab RocketMQ gRPC endpoint on ${running.rocketmq.host}:${running.rocketmq.port}`);
      let http: HttpApi | null = null;
      if (o.http) {
        const token = o.httpToken ?? process.env.MQLAB_ADMIN_TOKEN ?? null;
        http = await Promise.resolve()
          .then(() => startHttpApi(b, { host: settings.listeners[0]!.host, port: Number(o.httpPort), adminToken: token, log, tls: o.httpTls ? httpTlsOptions(settings.configs) : undefined }))
          .catch(async (err: Error) => {
            console.error(`mqlab serve: cannot start the HTTP API: ${err.message}`);
            await running.close();
            process.exit(1);
          });
        console.log(`mqlab HTTP API on ${o.httpTls ? 'https' : 'http'}://${http.host}:${http.port}${token ? ' (admin calls need the token)' : ''}`);
      }
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log('info', `${signal}: shutting down`);
        (http ? http.close() : Promise.resolve()).then(() => running.close()).then(
          () => {
            log('info', 'stopped cleanly');
            process.exit(0);
          },
          (err: Error) => {
            log('error', `shutdown failed: ${err.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      if (process.send) answerStats(running.broker);
    });
}

/**
 * V8's collections since the start, counted as they end: a run's broker CPU
 * includes the mark-compacts that fall in it, whichever run made their
 * garbage, and the lab shows how many did.
 */
function collections(): { major: number; minor: number; ms: number } {
  const counts = { major: 0, minor: 0, ms: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
      counts.ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return counts;
}

/**
 * When started by the lab with an IPC channel: answers {type: 'stats'} with
 * the addon's transfer counters, the TLS path's stream-send counters and
 * the engine's read counters, and
 * {type: 'reset-counters'}, so the lab reads the broker's own figures
 * without a side door into its memory.
 */
function answerStats(broker: Broker): void {
  const gc = collections();
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type === 'reset-counters') {
      resetTransferCounters();
      resetStreamSendCounters();
    }
    if (m?.type === 'stats' || m?.type === 'reset-counters') {
      process.send!({ id: m.id, strategy: broker.transfer.name, transfer: transferCounters(), streamSend: { ...streamSendCounters }, engine: broker.engine.stats(), cpu: process.cpuUsage(), gc: { ...gc } });
    }
  });
  process.channel?.unref();
}
