// External systems the peers comparison can run against instead of (or
// beside) the servers it starts itself, given on the command line:
//
//   --target kafka=host:port[,host:port…]
//       any Kafka cluster (the bootstrap addresses); the lab creates its
//       topics there and deletes only those.
//   --target rocketmq=host:port[,host:port…]/TOPIC[,TOPIC…]
//       a RocketMQ 5 proxy's gRPC endpoint and topics the user created
//       (mqadmin updateTopic): RocketMQ 5's gRPC API cannot create topics,
//       so the lab uses these names instead of its own and deletes nothing.
//
// Hosts are names, IPv4 addresses or bracketed IPv6 ones ([::1]:9092).
import type { DriverEndpoint } from './driver.js';

export type TargetSystem = 'kafka' | 'rocketmq';

export const TARGET_SYSTEMS: readonly TargetSystem[] = ['kafka', 'rocketmq'];

export interface PeerTarget {
  system: TargetSystem;
  /** The first address, the others in `more`. */
  endpoint: DriverEndpoint;
  /** RocketMQ: the pre-created topics the lab uses as they are; none for Kafka (the lab makes its own). */
  topics: string[];
  /** Shown in reports: "external Kafka at 10.0.0.5:9092, 10.0.0.6:9092". */
  label: string;
}

export class TargetError extends Error {}

const SYNTAX = 'kafka=host:port[,host:port…] or rocketmq=host:port/TOPIC';
/** RocketMQ's topic names (its % and | are for system topics). */
const ROCKETMQ_TOPIC = /^[A-Za-z0-9_-]{1,127}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** One --target value. */
export function parseTarget(spec: string): PeerTarget {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new TargetError(`--target "${spec}": expected ${SYNTAX}`);
  const system = spec.slice(0, eq).trim().toLowerCase();
  const value = spec.slice(eq + 1).trim();
  if (!(TARGET_SYSTEMS as readonly string[]).includes(system)) {
    throw new TargetError(`--target "${spec}": unknown system "${spec.slice(0, eq).trim()}" (a target is ${TARGET_SYSTEMS.join(' or ')}: ${SYNTAX})`);
  }
  const slash = value.indexOf('/');
  const addressPart = slash < 0 ? value : value.slice(0, slash);
  const topicPart = slash < 0 ? null : value.slice(slash + 1);
  const addresses = addressPart.split(',').map((a) => parseAddress(a.trim(), spec));
  if (addresses.length === 0) throw new TargetError(`--target "${spec}": no address`);
  const endpoint: DriverEndpoint = { ...addresses[0]!, ...(addresses.length > 1 ? { more: addresses.slice(1) } : {}) };
  const shown = addresses.map(formatAddress).join(', ');
  if (system === 'kafka') {
    if (topicPart !== null) throw new TargetError(`--target "${spec}": a Kafka target names no topic (the lab creates its own there and deletes only those)`);
    return { system, endpoint, topics: [], label: `external Kafka at ${shown}` };
  }
  if (topicPart === null || topicPart.trim() === '') {
    throw new TargetError(
      `--target "${spec}": a RocketMQ target needs a topic, rocketmq=${addressPart}/TOPIC: RocketMQ 5's gRPC API cannot create topics, so create one first (mqadmin updateTopic -n <nameserver>:9876 -c <cluster> -t TOPIC) and name it here`,
    );
  }
  const topics = topicPart.split(',').map((t) => t.trim());
  for (const t of topics) {
    if (!ROCKETMQ_TOPIC.test(t)) throw new TargetError(`--target "${spec}": "${t}" is not a RocketMQ topic name (letters, digits, _ and -, at most 127)`);
  }
  if (new Set(topics).size !== topics.length) throw new TargetError(`--target "${spec}": a topic is named twice`);
  return { system: 'rocketmq', endpoint, topics, label: `external RocketMQ at ${shown} (topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')})` };
}

/** Every --target value; the same system at the same first address twice is an error. */
export function parseTargets(specs: readonly string[]): PeerTarget[] {
  const out = specs.map(parseTarget);
  const seen = new Set<string>();
  for (const t of out) {
    const key = `${t.system} ${formatAddress(t.endpoint)}`;
    if (seen.has(key)) throw new TargetError(`--target: ${t.system} at ${formatAddress(t.endpoint)} is given twice`);
    seen.add(key);
  }
  return out;
}

function parseAddress(a: string, spec: string): { host: string; port: number } {
  if (a === '') throw new TargetError(`--target "${spec}": an empty address (expected ${SYNTAX})`);
  let host: string;
  let port: string | null;
  if (a.startsWith('[')) {
    const close = a.indexOf(']');
    if (close < 0) throw new TargetError(`--target "${spec}": "${a}": an IPv6 address needs its closing ] ([::1]:9092)`);
    host = a.slice(1, close);
    const rest = a.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new TargetError(`--target "${spec}": "${a}": expected [IPv6]:port`);
    port = rest === '' ? null : rest.slice(1);
    if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) throw new TargetError(`--target "${spec}": "${host}" is not an IPv6 address`);
  } else {
    const colon = a.lastIndexOf(':');
    if (colon >= 0 && a.indexOf(':') !== colon) throw new TargetError(`--target "${spec}": "${a}": write an IPv6 address in brackets, [${a.slice(0, colon)}]:port`);
    host = colon < 0 ? a : a.slice(0, colon);
    port = colon < 0 ? null : a.slice(colon + 1);
    if (!HOST.test(host)) throw new TargetError(`--target "${spec}": "${host}" is not a host name or address`);
  }
  if (port === null || port === '') throw new TargetError(`--target "${spec}": "${a}" has no port (host:port)`);
  if (!/^\d+$/.test(port)) throw new TargetError(`--target "${spec}": port "${port}" is not a number`);
  const n = Number(port);
  if (n < 1 || n > 65535) throw new TargetError(`--target "${spec}": port ${port} is out of range (1-65535)`);
  return { host, port: n };
}

/** host:port, [IPv6]:port. */
export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
