// The broker's HTTP API: its routes, and the dispatch from a request to one.
//
//   GET  /health                                 200 {status, engine, transfer, uptimeSeconds}
//   GET  /metrics                                Prometheus text format 0.0.4
//   GET  /topics                                 {topics: [{name, internal, configs, partitions: [{partition, logStartOffset, highWatermark}]}]}
//   POST /topics                                 {name, partitions?, configs?} -> 201 the topic
//   GET  /topics/:topic                          the topic, as in the list
//   POST /topics/:topic/partitions/:p/records    ?acks=-1|all|1|0 (default -1)
//        Content-Type: application/vnd.kafka.batch  one or more v2 record batches, appended as they are
//        Content-Type: application/json             {records: [{key?, value, headers?: [{key, value}], timestamp?}]}
//        -> 200 {topic, partition, baseOffset, logStartOffset[, recordCount]}; acks=0: 202 at once
//   GET  /topics/:topic/partitions/:p/records    ?offset=N|earliest|latest (required) &maxBytes=1MiB &maxWaitMs=0 &minBytes=1 &format=raw|json
//        raw:  application/vnd.kafka.batch, whole batches from the one holding `offset` (the last may be cut
//              at maxBytes, as in Kafka; the first comes whole even past it); the body is sent from the log
//              files by the transfer strategy in force. Headers X-High-Watermark, X-Log-Start-Offset.
//        json: {topic, partition, highWatermark, logStartOffset, nextOffset, records: [{offset, timestamp, key, value, headers}]},
//              at most 10,000 records (nextOffset follows the last one given)
//   GET  /admin/transfer-strategy                {strategy, strategies}                     admin token
//   PUT  /admin/transfer-strategy                {strategy} or ?strategy= -> {strategy, previous}   admin token
//   GET  /admin/access-keys                      {accessKeys: [{accessKey, user}]}          admin token
//   POST /admin/access-keys                      {user} -> 201 {accessKey, secretKey, user} (RocketMQ access keys)
//   DELETE /admin/access-keys/:key               {deleted}
//
// Admin token: when the API has one, the admin routes need
// `Authorization: Bearer <token>` (missing: 401, wrong: 403).
// Errors: {error, message, ...} with the Kafka error name where the broker
// refused (UNKNOWN_TOPIC_OR_PARTITION 404, OFFSET_OUT_OF_RANGE 416 with
// logStartOffset and highWatermark, CORRUPT_MESSAGE 400, MESSAGE_TOO_LARGE
// 413, TOPIC_ALREADY_EXISTS 409, ...), else INVALID_REQUEST / INVALID_JSON
// 400, NOT_FOUND 404, METHOD_NOT_ALLOWED 405, PAYLOAD_TOO_LARGE 413 (body
// over the limit; the connection then closes), UNSUPPORTED_MEDIA_TYPE 415.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Call, HttpContext } from './context.js';
import { HttpError } from './errors.js';
import { getTransferStrategy, putTransferStrategy } from './handlers/admin.js';
import { createAccessKey, deleteAccessKey, listAccessKeys } from './handlers/access-keys.js';
import { fetchRecords } from './handlers/fetch.js';
import { produceRecords } from './handlers/produce.js';
import { health, metrics } from './handlers/status.js';
import { createTopic, getTopic, listTopics } from './handlers/topics.js';
import { RouteMeter } from './metrics/http-meter.js';
import { decode, parseQuery } from './request.js';
import { sendError } from './respond.js';

type Handler = (call: Call) => void | Promise<void>;

interface Resource {
  /** Path segments; `:name` captures one. */
  segments: readonly string[];
  /** Method -> handler and its meter. */
  methods: ReadonlyMap<string, { handler: Handler; meter: RouteMeter }>;
  allow: string;
}

const TABLE: readonly [string, Readonly<Record<string, Handler>>][] = [
  ['/health', { GET: health }],
  ['/metrics', { GET: metrics }],
  ['/topics', { GET: listTopics, POST: createTopic }],
  ['/topics/:topic', { GET: getTopic }],
  ['/topics/:topic/partitions/:partition/records', { GET: fetchRecords, POST: produceRecords }],
  ['/admin/transfer-strategy', { GET: getTransferStrategy, PUT: putTransferStrategy }],
  ['/admin/access-keys', { GET: listAccessKeys, POST: createAccessKey }],
  ['/admin/access-keys/:key', { DELETE: deleteAccessKey }],
];

export class Router {
  private readonly resources: Resource[];
  /** Requests that matched no route (404, 405, or a path that did not parse). */
  private readonly unmatched = new RouteMeter('', 'unmatched');
  readonly meters: RouteMeter[];

  constructor() {
    this.resources = TABLE.map(([pattern, handlers]) => ({
      segments: pattern.slice(1).split('/'),
      methods: new Map(Object.entries(handlers).map(([method, handler]) => [method, { handler, meter: new RouteMeter(method, pattern) }])),
      allow: Object.keys(handlers).join(', '),
    }));
    this.meters = [...this.resources.flatMap((r) => [...r.methods.values()].map((m) => m.meter)), this.unmatched];
  }

  /** Serves one request; never rejects (a failure becomes its error answer). */
  async handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const call: Call = { ctx, req, res, params: [], query: {}, meter: this.unmatched, body: null };
    try {
      call.query = parseQuery(q < 0 ? '' : url.slice(q + 1));
      const route = this.match(q < 0 ? url : url.slice(0, q), req.method ?? 'GET', call);
      await route(call);
    } catch (err) {
      sendError(call, err);
    } finally {
      if (call.body) {
        call.body.end();
        ctx.bodyBudget.give(call.body.held);
      }
    }
    call.meter.done(res.statusCode, (performance.now() - started) / 1000);
  }

  /** The handler for the path and method; sets the call's params and meter. */
  private match(path: string, method: string, call: Call): Handler {
    const parts = path.split('/');
    // "/a/b" -> ["", "a", "b"]; a trailing slash is tolerated.
    if (parts[0] !== '') throw new HttpError(400, 'INVALID_REQUEST', 'the request target must be a path');
    if (parts.length > 2 && parts[parts.length - 1] === '') parts.pop();
    for (const r of this.resources) {
      if (r.segments.length !== parts.length - 1) continue;
      const params: string[] = [];
      let ok = true;
      for (let i = 0; i < r.segments.length && ok; i++) {
        const want = r.segments[i]!;
        const got = parts[i + 1]!;
        if (want.charCodeAt(0) === 58 /* : */) {
          if (got === '') ok = false;
          else params.push(decode(got));
        } else if (want !== got) {
          ok = false;
        }
      }
      if (!ok) continue;
      const m = r.methods.get(method);
      if (!m) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path} (allowed: ${r.allow})`, {}, { Allow: r.allow });
      call.params = params;
      call.meter = m.meter;
      return m.handler;
    }
    throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path} (see GET /health, /metrics, /topics)`);
  }
}
