// Every limit of the network layer, with its unit in its name. Defaults
// follow Kafka's where Kafka has one.
export interface NetworkLimits {
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). */
  maxFrameBytes: number;
  /** Open connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** A connection with no request for this long is closed (connections.max.idle.ms). */
  idleTimeoutMs: number;
  /** Requests of one connection being processed at once; reading pauses beyond. */
  maxInFlightRequests: number;
  /** Request bytes held across all connections; reading pauses beyond (queued.max.request.bytes). */
  maxQueuedBytes: number;
  /**
   * Response bytes of one connection not yet handed to the kernel (in memory
   * and in file regions): answered but waiting in order, or queued behind a
   * slow reader. At this many the connection starts no further request
   * until its reader catches up; requests already started still answer.
   */
  maxUnsentBytesPerConnection: number;
  /** In-memory response bytes not yet sent, across all connections; every connection stops starting requests beyond. */
  maxUnsentMemoryBytes: number;
  /** A connection not logged in (TLS handshake, SASL) this long after it opened is closed (mqlab.authentication.timeout.ms). */
  authenticationTimeoutMs: number;
  /** Largest frame before a SASL login (Kafka's sasl.server.max.receive.size): an unauthenticated client cannot make the broker hold more. */
  maxUnauthenticatedFrameBytes: number;
  /**
   * Connections the kernel holds accepted but not yet taken by the broker
   * (Kafka's socket.listen.backlog.size; the kernel caps it at
   * net.core.somaxconn). Beyond it a connecting client's SYN is dropped and
   * it retries a second later.
   */
  listenBacklog: number;
}

export const DEFAULT_NETWORK_LIMITS: NetworkLimits = {
  maxFrameBytes: 100 * 1024 * 1024,
  maxConnections: 10_000,
  idleTimeoutMs: 10 * 60 * 1000,
  maxInFlightRequests: 64,
  maxQueuedBytes: 512 * 1024 * 1024,
  maxUnsentBytesPerConnection: 64 * 1024 * 1024,
  maxUnsentMemoryBytes: 256 * 1024 * 1024,
  authenticationTimeoutMs: 10_000,
  maxUnauthenticatedFrameBytes: 512 * 1024,
  // Kafka's default is 50 and Node's 511: a thousand clients connecting at
  // once (bench scale) overflowed 511 and waited a second for the retry.
  listenBacklog: 4096,
};

export function checkLimits(l: NetworkLimits): NetworkLimits {
  const positive = (name: keyof NetworkLimits): void => {
    if (!(Number.isInteger(l[name]) && l[name] > 0)) throw new RangeError(`${name} must be a positive integer, got ${l[name]}`);
  };
  for (const k of Object.keys(DEFAULT_NETWORK_LIMITS) as (keyof NetworkLimits)[]) positive(k);
  if (l.maxFrameBytes > 2 ** 31 - 1) throw new RangeError('maxFrameBytes must fit in a 32-bit signed size');
  if (l.maxQueuedBytes < l.maxFrameBytes) throw new RangeError('maxQueuedBytes must be at least maxFrameBytes');
  return l;
}
