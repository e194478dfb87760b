// `mqlab serve` settings: embedded defaults, then a config file in Kafka's
// server.properties form (key=value, # comments), then flags. Keys are
// Kafka's config names (see broker/configs.ts) plus `listeners` /
// `host` / `port` and `log.dirs`. `listeners` lists every listener
// (NAME://host:port, comma-separated, as Kafka); `host` and `port` (the
// --host and --port flags) set the first one's.
import { readFileSync } from 'node:fs';
import { checkBrokerSettings } from '../broker/configs.js';
import type { NetworkLimits } from '../broker/network/limits.js';
import type { FlushPolicy } from '../storage/types.js';

/** A listener as configured: its security protocol comes from listener.security.protocol.map (listeners.ts). */
export interface ListenerAddress {
  name: string;
  host: string;
  port: number;
}

export interface ServeSettings {
  /** At least one; the first is the one --host and --port set. */
  listeners: ListenerAddress[];
  dataDir: string;
  /** Broker configs by Kafka name (engine, flush and transfer among them). */
  configs: Record<string, string>;
}

export const DEFAULT_SERVE_SETTINGS: ServeSettings = { listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }], dataDir: './data', configs: {} };

/** Reads key=value lines; a bad line is an error naming the file and line. */
export function readPropertiesFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
      const eq = line.search(/[=:]/);
      if (eq <= 0) throw new Error(`${file}:${i + 1}: expected key=value, got "${line}"`);
      out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    });
  return out;
}

/** Applies properties (a file's or flags') over `base`. */
export function applyProperties(base: ServeSettings, props: Record<string, string>): ServeSettings {
  const s: ServeSettings = { ...base, listeners: base.listeners.map((l) => ({ ...l })), configs: { ...base.configs } };
  for (const [key, value] of Object.entries(props)) {
    switch (key) {
      case 'listeners':
        s.listeners = parseListeners(value);
        break;
      case 'host':
        s.listeners[0]!.host = value;
        break;
      case 'port':
        s.listeners[0]!.port = parsePort(value);
        break;
      case 'log.dirs':
      case 'log.dir':
      case 'data.dir':
        s.dataDir = value;
        break;
      default:
        s.configs[key] = value;
    }
  }
  checkBrokerSettings(s.configs);
  return s;
}

/**
 * Kafka's `listeners`: NAME://host:port, comma-separated; an empty host is
 * 127.0.0.1 here (Kafka's is every interface), an IPv6 host is in brackets.
 * A bare host:port is one PLAINTEXT listener, as before there were several.
 */
export function parseListeners(value: string): ListenerAddress[] {
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new Error('listeners is empty: expected NAME://host:port[,NAME://host:port...]');
  const out = entries.map((entry) => {
    const m = /^(?:([A-Za-z0-9_]+):\/\/)?(?:\[([^\]]*)\]|([^:/\[\]]*)):(\d+)$/.exec(entry);
    if (!m) throw new Error(`listeners: "${entry}" is not NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094)`);
    return { name: (m[1] ?? 'PLAINTEXT').toUpperCase(), host: m[2] ?? (m[3] || '127.0.0.1'), port: parsePort(m[4]!) };
  });
  const names = new Set<string>();
  for (const l of out) {
    if (names.has(l.name)) throw new Error(`listeners: the name ${l.name} is used twice (each listener needs its own name)`);
    names.add(l.name);
  }
  const ports = out.filter((l) => l.port !== 0).map((l) => `${l.host}:${l.port}`);
  const twice = ports.find((p, i) => ports.indexOf(p) !== i);
  if (twice) throw new Error(`listeners: ${twice} is used twice`);
  return out;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`port must be 0-65535, got "${v}"`);
  return n;
}

/** `none`, `batch`, or an interval in ms. */
export function parseFlush(v: string): FlushPolicy {
  if (v === 'none' || v === 'batch') return { kind: v };
  if (/^[1-9]\d*$/.test(v)) return { kind: 'interval', intervalMs: Number(v) };
  throw new Error(`flush must be none, batch or an interval in ms, got "${v}"`);
}

/** The network limits named by the settings (the rest keep their defaults). */
export function networkLimits(configs: Record<string, string>): Partial<NetworkLimits> {
  const limits: Partial<NetworkLimits> = {};
  if (configs['socket.request.max.bytes']) limits.maxFrameBytes = Number(configs['socket.request.max.bytes']);
  if (configs['max.connections']) limits.maxConnections = Number(configs['max.connections']);
  if (configs['connections.max.idle.ms']) limits.idleTimeoutMs = Number(configs['connections.max.idle.ms']);
  if (configs['queued.max.request.bytes']) limits.maxQueuedBytes = Number(configs['queued.max.request.bytes']);
  if (configs['mqlab.connection.max.unsent.bytes']) limits.maxUnsentBytesPerConnection = Number(configs['mqlab.connection.max.unsent.bytes']);
  if (configs['mqlab.max.unsent.memory.bytes']) limits.maxUnsentMemoryBytes = Number(configs['mqlab.max.unsent.memory.bytes']);
  if (configs['mqlab.authentication.timeout.ms']) limits.authenticationTimeoutMs = Number(configs['mqlab.authentication.timeout.ms']);
  if (configs['sasl.server.max.receive.size']) limits.maxUnauthenticatedFrameBytes = Number(configs['sasl.server.max.receive.size']);
  if (configs['socket.listen.backlog.size']) limits.listenBacklog = Number(configs['socket.listen.backlog.size']);
  return limits;
}
