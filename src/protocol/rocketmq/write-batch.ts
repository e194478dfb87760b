// Several messages of a server stream handed to HTTP/2 at once. grpc-js's
// server stream is a Writable with _write only: it passes one message on,
// waits for HTTP/2 to have sent it, then the next, so a ReceiveMessage of
// 32 messages took 32 event-loop turns and 32 socket writes. Given a
// _writev (built from its own _write, so grpc-js still frames and counts
// each message), messages written while corked leave together.
import type { Writable } from 'node:stream';

type Chunk = { chunk: unknown; encoding: BufferEncoding };
type Batched = Writable & {
  _write(chunk: unknown, encoding: BufferEncoding, done: (err?: Error | null) => void): void;
  _writev?: (chunks: Chunk[], done: (err?: Error | null) => void) => void;
};

export function writeBatch(stream: Writable, messages: readonly unknown[]): void {
  const s = stream as Batched;
  if (!s._writev) {
    s._writev = (chunks, done) => {
      let left = chunks.length;
      let failed: Error | null = null;
      for (const c of chunks) {
        s._write(c.chunk, c.encoding, (err) => {
          failed ??= err ?? null;
          if (--left === 0) done(failed);
        });
      }
    };
  }
  s.cork();
  for (const m of messages) s.write(m);
  s.uncork();
}
