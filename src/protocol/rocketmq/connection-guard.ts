// Limits grpc-js does not have, applied to the HTTP/2 server it listens
// with: a connection count (net.Server's maxConnections: past it a new
// connection is closed as it arrives, the others go on), and the end of
// streams a client leaves open. grpc-js answers a call (its deadline, a bad
// request) but keeps the HTTP/2 stream while the client has not ended its
// side, and a connection with a stream open is never idle, so it was kept
// for good. Like grpc-go, the broker resets such a stream (RST_STREAM
// NO_ERROR, RFC 9113 §8.1) once its answer is out; a stream still open past
// its deadline (a reader that never takes its data) is cancelled; and a
// connection on which no byte has moved either way for the idle time is
// destroyed, calls open or not (official clients send a Heartbeat every
// 10 s): after a protocol error Node's HTTP/2 sends GOAWAY and reads no
// more, yet waits for the open streams, which nothing can end then.
//
// grpc-js gives no hook on its HTTP/2 servers: they are read from the
// Server's `http2Servers` map (grpc-js 1.14). Should that change, startup
// fails here, loudly, instead of the limits silently not holding.
import type * as grpc from '@grpc/grpc-js';
import { Server as NetServer } from 'node:net';
import { constants, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';

/** How long a finished answer may take to leave before its stream is reset, and a stream may outlive its deadline (up to twice this: one sweep looks at every open stream). */
export const STREAM_GRACE_MS = 1_000;

export interface ConnectionGuardLimits {
  maxConnections: number;
  /** rocketmq.connections.max.idle.ms: grpc-js closes a connection without calls this long; the guard, one without traffic. */
  idleMs: number;
}

interface OpenStream {
  /** Date.now() by which the client's grpc-timeout ends the call, or null. */
  deadline: number | null;
  /** Date.now() when the broker finished its side, or null. */
  finished: number | null;
}

/** Applies the limits; returns what stops the sweep (at shutdown). */
export function guardConnections(server: grpc.Server, limits: ConnectionGuardLimits): () => void {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) throw new Error('rocketmq: cannot reach grpc-js\'s HTTP/2 server to apply the connection limits (grpc-js internals changed?)');
  // One sweep over the open streams, not a timer or two per call (every call ends, most within the grace).
  const open = new Map<ServerHttp2Stream, OpenStream>();
  for (const h2 of servers.keys() as Iterable<Http2Server>) {
    if (!(h2 instanceof NetServer)) throw new Error('rocketmq: grpc-js\'s listener is not an HTTP/2 server (grpc-js internals changed?)');
    h2.maxConnections = limits.maxConnections;
    h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const timeoutMs = grpcTimeoutMs(headers['grpc-timeout']);
      const s: OpenStream = { deadline: timeoutMs === null ? null : Date.now() + timeoutMs, finished: null };
      open.set(stream, s);
      stream.once('finish', () => (s.finished = Date.now()));
      stream.once('close', () => open.delete(stream));
    });
    h2.on('session', guardSession(limits.idleMs));
  }
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [stream, s] of open) {
      if (stream.closed || stream.destroyed) continue;
      if (s.finished !== null && now - s.finished >= STREAM_GRACE_MS) stream.close(constants.NGHTTP2_NO_ERROR);
      else if (s.deadline !== null && now - s.deadline >= STREAM_GRACE_MS) stream.close(constants.NGHTTP2_CANCEL);
    }
  }, STREAM_GRACE_MS);
  sweep.unref();
  return () => clearInterval(sweep);
}

/** No byte either way this long: the connection is dead (or its peer stalled a stream grpc-js would wait on forever): destroy it. */
function guardSession(idleMs: number): (session: Http2Session) => void {
  return (session) => {
    session.setTimeout(idleMs, () => {
      if (!session.destroyed) session.destroy();
    });
  };
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** The grpc-timeout header (at most 8 digits and a unit), in ms; null when absent or malformed (grpc-js then sets no deadline either). */
export function grpcTimeoutMs(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
}
