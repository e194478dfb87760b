// What every handler gets: the broker and the API's settings (one per
// server), and the request at hand (one small object per request).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Broker } from '../broker/broker.js';
import type { BodyBudget, BodyReading } from './body-budget.js';
import type { BrokerMeter } from './metrics/broker-meter.js';
import type { RouteMeter } from './metrics/http-meter.js';

export type HttpLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface HttpContext {
  broker: Broker;
  /** Null: the admin routes are open (bind to loopback, as by default). */
  adminToken: string | null;
  /** Largest request body of a produce (record batches or their JSON). */
  maxBodyBytes: number;
  /** Body bytes held across requests (maxBodyBytesInFlight). */
  bodyBudget: BodyBudget;
  brokerMeter: BrokerMeter;
  /** Every route's meter, for /metrics. */
  routeMeters: readonly RouteMeter[];
  /** performance.now() when the API started. */
  startedAt: number;
  log: HttpLog;
}

export interface Call {
  ctx: HttpContext;
  req: IncomingMessage;
  res: ServerResponse;
  /** The path's `:name` segments, decoded, in order. */
  params: readonly string[];
  /** The query string's parameters (the last of a repeated name wins). */
  query: Readonly<Record<string, string>>;
  meter: RouteMeter;
  /** The body being read, whose bytes count against the budget until the request is answered. */
  body: BodyReading | null;
}
