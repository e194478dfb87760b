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

/** Bytes read from a file and written at a time: a TLS send holds at most this much of a region in memory. */
const CHUNK_BYTES = 256 * 1024;

async function writeAll(socket: Socket, header: Buffer | null, regions: readonly FileRegion[]): Promise<void> {
  if (socket.destroyed) throw closedError();
  streamSendCounters.sends++;
  if (header && header.length > 0) {
    streamSendCounters.headerBytes += header.length;
    await write(socket, header);
  }
  for (const r of regions) {
    // Each chunk is read, then written, then waited for (drain), so a slow or vanished reader holds
    // one chunk, and every write's outcome is awaited: none can fail unheard.
    for (let done = 0; done < r.length; ) {
      if (!r.file.open) throw Object.assign(new Error(`${r.file.path} was closed before its region was sent`), { code: 'ERR_FILE_CLOSED' });
      const bytes = await readRegion(r, done, Math.min(CHUNK_BYTES, r.length - done));
      if (socket.destroyed) throw closedError();
      streamSendCounters.fileBytes += bytes.length;
      streamSendCounters.copiedBytes += bytes.length;
      await write(socket, bytes);
      done += bytes.length;
    }
  }
  // Nothing to write (a barrier): wait until what earlier sends wrote has gone to the socket.
  if (!header?.length && regions.length === 0 && socket.writableLength > 0) {
    await new Promise<void>((resolve, reject) => socket.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
}

/** Writes, then resolves once the stream takes more (at once, or on 'drain' past its high-water mark: then 'drain' is sure to come). */
function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const more = socket.write(bytes, (err) => {
      if (!err) return;
      failed = true;
      socket.destroy();
      reject(err);
    });
    if (more) resolve();
    else drained(socket).then(() => (failed ? undefined : resolve()), reject);
  });
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      socket.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      socket.off('drain', onDrain);
      reject(closedError());
    };
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/** `length` bytes of the region from `offset` in it. */
async function readRegion(r: FileRegion, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    streamSendCounters.preads++;
    const n = await new Promise<number>((resolve, reject) => read(r.file.fd, buf, done, length - done, r.position + offset + done, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
    if (n === 0) throw Object.assign(new Error(`${r.file.path}: ${length - done} bytes of a region are past the end of the file`), { code: 'ERR_SHORT_READ' });
    done += n;
  }
  return buf;
}
