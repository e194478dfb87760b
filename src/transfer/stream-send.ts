// Sends through the socket's own stream, for TLS connections: their bytes
// are encrypted in user space, so none of the addon's strategies can hand
// file pages to the kernel or write to the descriptor (it would bypass the
// encryption). Each region is read into memory (pread: one copy), then the
// TLS layer encrypts it (a second pass over the bytes) as it writes.
// Sends leave in the order they were asked for, one after another.
import { read } from 'node:fs';
import type { Socket } from 'node:net';
import type { FileRegion } from './types.js';

const chains = new WeakMap<Socket, Promise<void>>();
const DONE: Promise<void> = Promise.resolve();

/** What went through streams since the process started (the lab reads it). */
export const streamSendCounters = { sends: 0, fileBytes: 0, headerBytes: 0, copiedBytes: 0, preads: 0 };

export type StreamSendCounters = typeof streamSendCounters;

export function resetStreamSendCounters(): void {
  for (const k of Object.keys(streamSendCounters) as (keyof StreamSendCounters)[]) streamSendCounters[k] = 0;
}

export function streamSend(socket: Socket, header: Buffer | null, regions: readonly FileRegion[]): Promise<void> {
  const next = (chains.get(socket) ?? DONE).then(() => writeAll(socket, header, regions));
  chains.set(socket, next.catch(() => undefined));
  return next;
}

function closedError(): Error {
  return Object.assign(new Error('socket closed before the send completed'), { code: 'ERR_SOCKET_CLOSED' });
}

async function writeAll(socket: Socket, header: Buffer | null, regions: readonly FileRegion[]): Promise<void> {
  if (socket.destroyed) throw closedError();
  streamSendCounters.sends++;
  let last: Promise<void> | null = null;
  if (header && header.length > 0) {
    streamSendCounters.headerBytes += header.length;
    last = write(socket, header);
  }
  for (const r of regions) {
    if (!r.file.open) throw Object.assign(new Error(`${r.file.path} was closed before its region was sent`), { code: 'ERR_FILE_CLOSED' });
    const bytes = await readRegion(r);
    if (socket.destroyed) throw closedError();
    streamSendCounters.fileBytes += bytes.length;
    streamSendCounters.copiedBytes += bytes.length;
    last = write(socket, bytes);
  }
  // Nothing to write (a barrier): wait until what earlier sends wrote has left.
  if (last === null && socket.writableLength > 0) {
    last = new Promise((resolve, reject) => {
      const drained = (): void => {
        socket.off('close', closed);
        resolve();
      };
      const closed = (): void => {
        socket.off('drain', drained);
        reject(closedError());
      };
      socket.once('drain', drained);
      socket.once('close', closed);
    });
  }
  if (last) await last;
}

function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (err) => {
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve();
    });
  });
}

async function readRegion(r: FileRegion): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(r.length);
  let done = 0;
  while (done < r.length) {
    streamSendCounters.preads++;
    const n = await new Promise<number>((resolve, reject) => read(r.file.fd, buf, done, r.length - done, r.position + done, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
    if (n === 0) throw Object.assign(new Error(`${r.file.path}: ${r.length - done} bytes of a region are past the end of the file`), { code: 'ERR_SHORT_READ' });
    done += n;
  }
  return buf;
}
