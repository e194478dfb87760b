// Every limit of the HTTP listener, with its unit in its name. Node has a
// default for most of them; each is set explicitly here, so that what a
// slow or abusive client can hold is written down, tested, and can be
// changed (startHttpApi's options).
export interface HttpLimits {
  /** Largest request body (a produce); larger is refused with 413, and the connection closed. */
  maxBodyBytes: number;
  /** Request body bytes held in memory across all requests; reading pauses beyond, until bodies are done with. */
  maxBodyBytesInFlight: number;
  /** Largest request head: request line and headers (Node's maxHeaderSize); larger gets 431. */
  maxHeaderBytes: number;
  /** Time from a connection's first byte, or the end of its last request, to a complete request head; then 408 and close. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (Node's requestTimeout); then 408 and close. Answers may take longer (long polls). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at once; more are closed as they arrive. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  // Two bodies of the largest size: parsed, 16 MiB of JSON takes about 100 MiB.
  maxBodyBytesInFlight: 32 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
};

export function checkHttpLimits(l: HttpLimits): HttpLimits {
  for (const k of Object.keys(DEFAULT_HTTP_LIMITS) as (keyof HttpLimits)[]) {
    if (!(Number.isSafeInteger(l[k]) && l[k] > 0)) throw new RangeError(`${k} must be a positive integer, got ${l[k]}`);
  }
  if (l.maxBodyBytesInFlight < l.maxBodyBytes) throw new RangeError('maxBodyBytesInFlight must be at least maxBodyBytes');
  // Node refuses a head timeout longer than the whole request's.
  if (l.headersTimeoutMs > l.requestTimeoutMs) throw new RangeError('headersTimeoutMs must not exceed requestTimeoutMs');
  return l;
}

/**
 * The limits `options` set, the defaults for the rest. Defaults give way to
 * what was set: the body budget holds at least one body of maxBodyBytes,
 * and the head's timeout is no longer than the request's.
 */
export function httpLimitsFrom(options: Partial<HttpLimits>): HttpLimits {
  const l: HttpLimits = { ...DEFAULT_HTTP_LIMITS };
  for (const k of Object.keys(DEFAULT_HTTP_LIMITS) as (keyof HttpLimits)[]) {
    if (options[k] !== undefined) l[k] = options[k];
  }
  if (options.maxBodyBytesInFlight === undefined) l.maxBodyBytesInFlight = Math.max(l.maxBodyBytesInFlight, l.maxBodyBytes);
  if (options.headersTimeoutMs === undefined) l.headersTimeoutMs = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return checkHttpLimits(l);
}

/**
 * How often Node looks for requests past their timeouts (its default is
 * 30 s, which would let a slow client stay that much longer): a quarter of
 * the shorter timeout, so a slow client is cut within 1.25 times it.
 */
export function timeoutCheckIntervalMs(l: HttpLimits): number {
  return Math.max(10, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4));
}
