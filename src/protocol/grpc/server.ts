// A gRPC server on mqlab's own HTTP/2 (../http2): grpc-js's server runs on
// node:http2, whose per-call cost (stream objects, nghttp2's callbacks into
// JavaScript, three writes per answer) was most of what a RocketMQ call
// cost the broker. Serves unary, server-streaming and bidirectional
// methods of proto-loader definitions, with the limits the broker sets:
// connections, streams per connection, message size, idle connections,
// and the client's deadlines.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { H2Connection, type H2Limits } from '../http2/connection.js';
import type { H2Stream } from '../http2/stream.js';
import { CallMetadata, GrpcError, requestBuffers, ServerCall, type CallLimits, type MethodDefinition, type RequestBudget } from './call.js';
import { GRPC_STATUS, grpcTimeoutMs, httpError, trailers } from './wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
export type UnaryHandler = (call: ServerCall, callback: (err: GrpcError | null, value?: any) => void) => void;
export type StreamHandler = (call: ServerCall) => void;
export type Handler = UnaryHandler | StreamHandler;

export interface GrpcServerOptions {
  /** A message larger than this ends its call with RESOURCE_EXHAUSTED. */
  maxRequestBytes: number;
  /** Calls at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** TCP connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** A connection on which no byte moved either way this long is closed (a TLS handshake that takes this long too). */
  idleMs: number;
  /** Answers one connection's calls have queued behind its client's flow-control windows: past it the connection is closed. */
  maxQueuedBytes: number;
  /** Serve over TLS (ALPN h2) with this key and certificate chain (PEM). */
  tls?: { key: Buffer; cert: Buffer };
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A call's header fields past this many bytes (HPACK's accounting) are refused with RESOURCE_EXHAUSTED. */
export const MAX_HEADER_LIST_BYTES = 64 * 1024;
/** What a client may send on a stream, and on a connection, before the server's next WINDOW_UPDATE. */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Bytes of unfinished request messages one connection's calls may hold together, as a multiple of maxRequestBytes: past it the call that crossed it ends with RESOURCE_EXHAUSTED. */
export const UNFINISHED_REQUESTS_PER_CONNECTION = 4;
/**
 * SETTINGS_MAX_FRAME_SIZE announced to clients. At HTTP/2's 16 KiB a
 * request of 16 one-KiB messages came in two DATA frames, and every such
 * request was copied whole to be assembled; a client that takes the larger
 * size (RFC 9113 §6.5.2; our load client does) sends it in one, which
 * reaches its handler where it lies in the read. A large frame split
 * between reads is copied into a buffer of requestBuffers', which
 * SendMessage gives back. Each connection may hold one partial frame of
 * this size.
 */
export const MAX_FRAME_BYTES = 64 * 1024;
/** How often deadlines are checked, and how long an answer may wait for its client's window after the deadline before the stream is reset. */
export const STREAM_GRACE_MS = 1_000;


export class GrpcServer {
  private readonly methods = new Map<string, { definition: MethodDefinition; handler: Handler }>();
  private readonly connections = new Set<H2Connection>();
  private listener: NetServer | null = null;
  private sweep: NodeJS.Timeout | null = null;
  /** Sockets accepted, TLS handshakes under way included: what close() ends when its grace is over. */
  private readonly sockets = new Set<Socket>();
  private readonly log: NonNullable<GrpcServerOptions['log']>;
  private readonly callLimits: CallLimits;
  private readonly h2Limits: H2Limits;

  constructor(private readonly options: GrpcServerOptions) {
    this.log = options.log ?? (() => undefined);
    this.callLimits = { maxRequestBytes: options.maxRequestBytes };
    this.h2Limits = { maxConcurrentStreams: options.maxConcurrentStreams, streamWindow: STREAM_WINDOW, connectionWindow: CONNECTION_WINDOW, maxHeaderListBytes: MAX_HEADER_LIST_BYTES, maxQueuedBytes: options.maxQueuedBytes, maxFrame: MAX_FRAME_BYTES, lendFrame: (n) => (n >= 4096 ? requestBuffers.lend(n) : Buffer.allocUnsafe(n)) };
  }

  addService(definitions: Record<string, MethodDefinition>, handlers: Record<string, Handler>): void {
    for (const [name, definition] of Object.entries(definitions)) {
      const handler = handlers[name];
      if (handler) this.methods.set(definition.path, { definition, handler });
    }
  }

  /** Listens; resolves with the port (0 asks the system for one). */
  listen(host: string, port: number): Promise<number> {
    const o = this.options;
    const server = o.tls
      ? createTlsServer({ key: o.tls.key, cert: o.tls.cert, ALPNProtocols: ['h2'], handshakeTimeout: o.idleMs }).on('secureConnection', (s) => this.connection(s)).on('tlsClientError', () => undefined)
      : createNetServer((s) => this.connection(s));
    server.maxConnections = o.maxConnections;
    // Every accepted socket, before TLS too: idle ones are closed, and close() can end them all.
    server.on('connection', (raw: Socket) => {
      this.sockets.add(raw);
      raw.once('close', () => this.sockets.delete(raw));
      raw.setTimeout(o.idleMs, () => raw.destroy());
    });
    this.listener = server;
    // The sweep walks the open streams, not a set of calls: a set that every
    // call with a deadline joined and left kept each call's objects alive
    // through the young generation's collections (a fifth of what a call
    // allocated was copied out of it, against nearly none without the set),
    // and the collector's work was a sixth of a RocketMQ send's. A call
    // whose stream is closed has nothing left to expire.
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) {
        for (const s of c.openStreams()) if (s.events instanceof ServerCall) s.events.expire(now, STREAM_GRACE_MS);
      }
    }, STREAM_GRACE_MS);
    this.sweep.unref();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  /** Streams open on all connections now (calls not yet closed both ways). */
  openStreams(): number {
    let n = 0;
    for (const c of this.connections) n += c.openStreamCount();
    return n;
  }

  /** Takes no new connection or call; ends when the calls have, or after graceMs, cutting the rest. */
  close(graceMs: number): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    const listener = this.listener;
    if (!listener) return Promise.resolve();
    this.listener = null;
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        // The accepted sockets: under TLS, a connection's own socket wraps one of them.
        for (const raw of this.sockets) raw.destroy();
      }, graceMs);
      listener.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const c of this.connections) c.shutdown();
    });
  }

  private connection(socket: Socket): void {
    socket.setNoDelay(true);
    const peer = socket.remoteFamily === 'IPv6' ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`;
    const budget: RequestBudget = { held: 0, max: UNFINISHED_REQUESTS_PER_CONNECTION * this.options.maxRequestBytes };
    const conn = new H2Connection(socket, this.h2Limits, (stream, headers, oversized) => this.stream(stream, headers, oversized, peer, budget), (m, bug) => this.log(bug ? 'error' : 'info', `rocketmq: HTTP/2 connection from ${peer} closed: ${m}`));
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }

  private stream(stream: H2Stream, headers: Array<[string, string]>, oversized: boolean, peer: string, budget: RequestBudget): void {
    if (oversized) return stream.end(trailers(GRPC_STATUS.RESOURCE_EXHAUSTED, `the call's headers are larger than ${MAX_HEADER_LIST_BYTES} bytes`, true));
    let method = '';
    let path = '';
    let contentType = '';
    let timeout: string | undefined;
    let encoding: string | undefined;
    for (const [name, value] of headers) {
      if (name.charCodeAt(0) === 0x3a /* : */) {
        if (name === ':method') method = value;
        else if (name === ':path') path = value;
      } else if (name === 'content-type') contentType = value;
      else if (name === 'grpc-timeout') timeout = value;
      else if (name === 'grpc-encoding') encoding = value;
    }
    if (method !== 'POST') return stream.end(httpError(405));
    if (!contentType.startsWith('application/grpc')) return stream.end(httpError(415));
    const m = this.methods.get(path);
    if (!m) return stream.end(trailers(GRPC_STATUS.UNIMPLEMENTED, `The server does not implement the method ${path}`, true));
    if (encoding !== undefined && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate') {
      return stream.end(trailers(GRPC_STATUS.UNIMPLEMENTED, `grpc-encoding ${encoding} is not supported (identity, deflate, gzip are)`, true));
    }
    const ms = grpcTimeoutMs(timeout);
    const deadline = ms === null ? Infinity : Date.now() + ms;
    const compressed = encoding === 'gzip' || encoding === 'deflate' ? encoding : null;
    const call = new ServerCall(stream, m.definition, new CallMetadata(headers), deadline, peer, this.callLimits, budget, compressed, (c) => this.invoke(c, m.definition, m.handler));
    if (m.definition.requestStream) this.invoke(call, m.definition, m.handler);
  }

  private invoke(call: ServerCall, definition: MethodDefinition, handler: Handler): void {
    try {
      if (definition.requestStream || definition.responseStream) return (handler as StreamHandler)(call);
      call.hold();
      (handler as UnaryHandler)(call, (err, value) => {
        call.release();
        if (err) return call.sendStatus(err.code ?? GRPC_STATUS.UNKNOWN, err.message);
        if (call.write(value)) call.end();
      });
    } catch (err) {
      this.log('error', `rocketmq ${definition.path}: ${(err as Error).stack ?? String(err)}`);
      call.release();
      call.sendStatus(GRPC_STATUS.UNKNOWN, `internal error: ${(err as Error).message}`);
    }
  }
}
