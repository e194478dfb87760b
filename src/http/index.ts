// The broker's HTTP API (routes: see routes.ts), on node:http.
//
// Why node:http and not a framework: the one path that matters for speed,
// fetch, has to bypass any framework's reply (its body goes out through the
// transfer strategy on the raw socket, see send-regions.ts), and the rest
// is six routes with small JSON bodies. A framework would add a dependency
// and a layer of per-request work on the produce and fetch paths the
// benchmark measures, and give little here in exchange.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Broker } from '../broker/broker.js';
import type { HttpContext, HttpLog } from './context.js';
import { meterBroker } from './metrics/broker-meter.js';
import { Router } from './routes.js';

export type { HttpLog } from './context.js';

export interface HttpApiOptions {
  /** Default 127.0.0.1: the admin routes are open when no token is set. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** When set (non-empty), the admin routes need `Authorization: Bearer <token>`. */
  adminToken?: string | null;
  /** Largest produce request body; default 16 MiB. The broker's message.max.bytes still applies to each batch. */
  maxBodyBytes?: number;
  /** How long close() lets requests in flight (long polls) finish before cutting their connections; default 1000 ms. */
  closeGraceMs?: number;
  log?: HttpLog;
}

export interface HttpApi {
  host: string;
  port: number;
  /** Stops accepting, lets requests in flight finish (within closeGraceMs), closes every connection. */
  close(): Promise<void>;
}

export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startHttpApi(broker: Broker, options: HttpApiOptions = {}): Promise<HttpApi> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
  const router = new Router();
  const log = options.log ?? (() => undefined);
  const ctx: HttpContext = {
    broker,
    adminToken: options.adminToken || null,
    maxBodyBytes,
    brokerMeter: meterBroker(broker),
    routeMeters: router.meters,
    startedAt: performance.now(),
    log,
  };
  // Node's defaults otherwise: keep-alive (5 s idle), TCP_NODELAY, and its
  // 400/431 answers to requests that do not parse.
  const server = createServer((req, res) => void router.handle(ctx, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_HTTP_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log('error', `HTTP API: ${err.message}`));
  const address = server.address() as AddressInfo;
  log('info', `HTTP API on http://${address.address}:${address.port}${ctx.adminToken ? ' (admin token required)' : ''}`);

  let closing: Promise<void> | null = null;
  return {
    host: address.address,
    port: address.port,
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
