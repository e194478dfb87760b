// `mqlab serve` settings: embedded defaults, then a config file in Kafka's
// server.properties form (key=value, # comments), then flags. Keys are
// Kafka's config names (see broker/configs.ts) plus `listeners` /
// `host` / `port` and `log.dirs`.
import { readFileSync } from 'node:fs';
import { checkBrokerSettings } from '../broker/configs.js';
import type { NetworkLimits } from '../broker/network/limits.js';
import type { FlushPolicy } from '../storage/types.js';

export interface ServeSettings {
  host: string;
  port: number;
  dataDir: string;
  /** Broker configs by Kafka name (engine, flush and transfer among them). */
  configs: Record<string, string>;
}

export const DEFAULT_SERVE_SETTINGS: ServeSettings = { host: '127.0.0.1', port: 9092, dataDir: './data', configs: {} };

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
  const s: ServeSettings = { ...base, configs: { ...base.configs } };
  for (const [key, value] of Object.entries(props)) {
    switch (key) {
      case 'listeners': {
        // PLAINTEXT://host:port, the one listener this broker has.
        const m = /^(?:PLAINTEXT:\/\/)?\[?([^\]]*?)\]?:(\d+)$/.exec(value);
        if (!m) throw new Error(`listeners=${value}: expected PLAINTEXT://host:port`);
        s.host = m[1] || '127.0.0.1';
        s.port = parsePort(m[2]!);
        break;
      }
      case 'host':
        s.host = value;
        break;
      case 'port':
        s.port = parsePort(value);
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
  return limits;
}
