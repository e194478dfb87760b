// The broker's HTTP API (routes: see routes.ts), on node:http.
//
// Why node:http and not a framework: the one path that matters for speed,
// fetch, has to bypass any framework's reply (its body goes out through the
// transfer strategy on the raw socket, see send-regions.ts), and the rest
// is six routes with small JSON bodies. A framework would add a dependency
// and a layer of per-request work on the produce and fetch paths the
// benchmark measures, and give little here in exchange.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Broker } from '../broker/broker.js';
import type { HttpContext, HttpLog } from './context.js';
import { meterBroker } from './metrics/broker-meter.js';
import { BodyBudget } from './body-budget.js';
import { DEFAULT_HTTP_LIMITS, httpLimitsFrom, timeoutCheckIntervalMs, type HttpLimits } from './limits.js';
import { Router } from './routes.js';

export type { HttpLog } from './context.js';
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.js';

export interface HttpApiOptions extends Partial<HttpLimits> {
  /** Default 127.0.0.1: the admin routes are open when no token is set. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** When set (non-empty), the admin routes need `Authorization: Bearer <token>`. */
  adminToken?: string | null;
  /** Serve HTTPS with this key, certificate chain (and authorities): the broker's key store (listeners.ts tlsOptionsFor). */
  tls?: SecureContextOptions;
  /** How long close() lets requests in flight (long polls) finish before cutting their connections; default 1000 ms. */
  closeGraceMs?: number;
  log?: HttpLog;
}

export interface HttpApi {
  host: string;
  port: number;
  /** The limits in force (the options' over DEFAULT_HTTP_LIMITS). */
  limits: HttpLimits;
  /** Connections closed on arrival because maxConnections were open. */
  readonly refusedConnections: number;
  /** Stops accepting, lets requests in flight finish (within closeGraceMs), closes every connection. */
  close(): Promise<void>;
}

export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_MAX_BODY_BYTES = DEFAULT_HTTP_LIMITS.maxBodyBytes;

export async function startHttpApi(broker: Broker, options: HttpApiOptions = {}): Promise<HttpApi> {
  const limits = httpLimitsFrom(options);
  const router = new Router();
  const log = options.log ?? (() => undefined);
  const ctx: HttpContext = {
    broker,
    adminToken: options.adminToken || null,
    maxBodyBytes: limits.maxBodyBytes,
    bodyBudget: new BodyBudget(limits.maxBodyBytesInFlight),
    brokerMeter: meterBroker(broker),
    routeMeters: router.meters,
    startedAt: performance.now(),
    log,
  };
  // Node's parser answers what does not parse (400, 431 for a head over
  // maxHeaderBytes, 408 past a timeout) and closes the connection; the
  // limits are set rather than left to Node's defaults, which let a
  // trickling client hold a connection for 60 s (head) or 300 s (request).
  const serverOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: timeoutCheckIntervalMs(limits),
    noDelay: true,
  };
  const handle = (req: Parameters<Router['handle']>[1], res: Parameters<Router['handle']>[2]): void => void router.handle(ctx, req, res);
  const server = options.tls ? createHttpsServer({ ...serverOptions, ...options.tls }, handle) : createServer(serverOptions, handle);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  let refusedConnections = 0;
  server.on('drop', (d?: { remoteAddress?: string }) => {
    refusedConnections++;
    log('warn', `HTTP API: refusing a connection from ${d?.remoteAddress ?? 'a client'}: ${limits.maxConnections} connections open`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_HTTP_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log('error', `HTTP API: ${err.message}`));
  const address = server.address() as AddressInfo;
  log('info', `HTTP API on ${options.tls ? 'https' : 'http'}://${address.address}:${address.port}${ctx.adminToken ? ' (admin token required)' : ''}`);

  let closing: Promise<void> | null = null;
  return {
    host: address.address,
    port: address.port,
    limits,
    get refusedConnections() {
      return refusedConnections;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 1000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
