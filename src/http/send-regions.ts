// A response whose body is log bytes, sent by the broker's transfer strategy
// (sendfile, mmap or copy) straight from the log files to the socket, so no
// record byte passes through JavaScript — on a connection that Node's HTTP
// server owns and keeps alive.
//
// How: Node renders the head (status line, our headers, Content-Length,
// Date, and its own keep-alive decision: `Connection: keep-alive` or
// `close`) when writeHead() is called, but writes it only with the first
// body bytes. We take that rendered head, mark it sent, and hand it to
// transfer.send() as the header of the send, so head and body leave in one
// send (sendfile sends the head with MSG_MORE: one TCP segment when small).
// Then res.end() with no data: Node, seeing its head sent and nothing
// buffered, writes nothing and only finishes the response, which is what
// moves the connection on to the next request (keep-alive and pipelining
// work as for any response). Node never learns how many body bytes went out;
// it does not need to, as Content-Length is ours and strictContentLength is
// off. Over HTTPS the same head and body go through the TLS stream instead
// (read from the files, then encrypted), as every TLS connection's do.
//
// The head is in `res._header` and its state in `res._headerSent`, fields
// Node has had since 0.x and that frameworks read, but not documented ones.
// If a Node version renders or names them differently, we fall back to the
// public way: flushHeaders() (Node writes the head itself), then the body
// through the transfer strategy, whose send queue lets Node's bytes leave
// first. That costs one more write(2) and TCP segment per response:
// measured on loopback with 16 KiB bodies and 16 keep-alive connections,
// about 5 µs more server CPU per response (35 against 30 µs) and some 5-10%
// fewer responses per second.
import type { Socket } from 'node:net';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { streamSend } from '../transfer/stream-send.js';
import type { FileRegion, TransferStrategy } from '../transfer/types.js';

interface NodeResponseInternals {
  _header?: unknown;
  _headerSent?: unknown;
}

/** Node's rendered head for the response, marked as sent; null if Node's internals are not as expected. */
function takeRenderedHead(res: ServerResponse): Buffer | null {
  const r = res as unknown as NodeResponseInternals;
  if (typeof r._header !== 'string' || r._headerSent !== false) return null;
  r._headerSent = true;
  return Buffer.from(r._header, 'latin1');
}

/**
 * The connection's socket once this response owns it. A pipelined request's
 * response waits in Node's queue until those before it finish; writing to
 * the socket earlier would put our bytes ahead of theirs. Null if the
 * connection closed first.
 */
function ownedSocket(res: ServerResponse, connection: Socket): Promise<Socket | null> {
  if (res.socket) return Promise.resolve(res.socket as Socket);
  if (connection.destroyed) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onSocket = (s: Socket): void => {
      connection.off('close', onClose);
      resolve(s);
    };
    const onClose = (): void => {
      res.off('socket', onSocket);
      resolve(null);
    };
    res.once('socket', onSocket);
    connection.once('close', onClose);
  });
}

/**
 * Answers 200 with `headers` and the regions' bytes as the body. Resolves once
 * the last byte is handed to the kernel (false if the client had gone);
 * rejects if the send failed, in which case the transfer layer has destroyed
 * the socket (a half-sent response cannot be taken back).
 */
export async function sendRegions(
  res: ServerResponse,
  connection: Socket,
  transfer: TransferStrategy,
  headers: OutgoingHttpHeaders,
  regions: readonly FileRegion[],
  bytes: number,
): Promise<boolean> {
  const socket = await ownedSocket(res, connection);
  if (socket === null || socket.destroyed) return false;
  res.writeHead(200, { ...headers, 'Content-Length': bytes });
  const head = takeRenderedHead(res);
  if (head === null) res.flushHeaders();
  // Over HTTPS the bytes must be encrypted in user space: no strategy can hand the kernel file pages (stream-send.ts).
  if (socket instanceof TLSSocket) await streamSend(socket, head, regions);
  else await transfer.send(socket, head, regions);
  res.end();
  return true;
}
