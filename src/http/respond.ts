// JSON answers. Header and body leave in one write: Node joins the rendered
// head with the first body chunk when both are pending, as with end(text).
import type { Call } from './context.js';
import { HttpError } from './errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(call: Call, status: number, body: unknown, headers?: Readonly<Record<string, string | number>>): void {
  sendText(call, status, JSON.stringify(body), JSON_TYPE, headers);
}

export function sendText(call: Call, status: number, text: string, contentType: string, headers?: Readonly<Record<string, string | number>>): void {
  const length = Buffer.byteLength(text);
  call.meter.bodyBytesOut += length;
  call.res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': length });
  call.res.end(text);
}

/**
 * Answers a failed request. An HttpError is the client's answer; anything
 * else is a bug or a broken disk: 500, logged, without internals in the body.
 */
export function sendError(call: Call, err: unknown): void {
  const { res } = call;
  if (res.headersSent || res.destroyed) {
    // A response under way cannot be replaced; the transfer layer has
    // destroyed its socket. A client that left is routine; anything else
    // (a log file gone between read and send, say) is worth a line.
    if (!peerGone(err)) call.ctx.log('warn', `${call.req.method} ${call.req.url}: response cut short: ${(err as Error)?.message ?? String(err)}`);
    return;
  }
  if (err instanceof HttpError) {
    const headers: Record<string, string> = { ...err.headers };
    if (err.close) headers['Connection'] = 'close';
    sendJson(call, err.status, { error: err.code, message: err.message, ...err.extra }, headers);
    return;
  }
  call.ctx.log('error', `${call.req.method} ${call.req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  sendJson(call, 500, { error: 'UNKNOWN_SERVER_ERROR', message: 'internal error; see the broker log' });
}

const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_SOCKET_CLOSED', 'ENOTCONN', 'ECONNABORTED']);

function peerGone(err: unknown): boolean {
  return PEER_GONE.has((err as { code?: string } | null)?.code ?? '');
}
