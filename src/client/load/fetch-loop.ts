// A lean reader of one partition from start to end for throughput
// measurements: one fetch in flight, as a consumer has, and the response
// bytes counted as they arrive without looking at the records. Batches are
// all the same size (the load producer's), so the next offset follows from
// how many whole batches a response carried.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { bytesOf, decodeResponse, encodeRequest, encodeResponse } from '../../protocol/kafka/index.js';

export interface FetchLoopResult {
  seconds: number;
  bytes: number;
  requests: number;
}

export async function fetchLoop(host: string, port: number, topic: string, endOffset: bigint, recordsPerBatch: number, batchBytes: number, maxBytes: number): Promise<FetchLoopResult> {
  const socket = connect(port, host);
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const frames = frameReader(socket);
  const request = (offset: bigint, id: number): Buffer => {
    const body = bytesOf(
      encodeRequest(1, 11, id, 'mqlab-fetch-loop', {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes,
        isolationLevel: 0,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] }],
      }),
    );
    const f = Buffer.allocUnsafe(4 + body.length);
    f.writeInt32BE(body.length, 0);
    body.copy(f, 4);
    return f;
  };
  // A response's size without its records.
  const empty = encodeResponse(1, 11, 0, { responses: [{ topic, partitions: [{ partitionIndex: 0, highWatermark: 0n, records: Buffer.alloc(0) }] }] }).size;
  let offset = 0n;
  let bytes = 0;
  let requests = 0;
  const start = process.hrtime.bigint();
  try {
    while (offset < endOffset) {
      socket.write(request(offset, ++requests));
      const frame = await frames();
      // Whole batches, and perhaps part of one more (a read may stop at
      // maxBytes inside a batch, as Kafka's does; it is fetched again).
      const recordBytes = frame.length - empty;
      const whole = Math.floor(recordBytes / batchBytes);
      if (whole === 0) {
        const r = decodeResponse(1, 11, frame).body.responses[0]!.partitions[0]!;
        throw new Error(`fetch at ${offset}: error ${r.errorCode}, ${recordBytes} record bytes (batches are ${batchBytes})`);
      }
      bytes += recordBytes;
      offset += BigInt(whole * recordsPerBatch);
    }
  } finally {
    socket.destroy();
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes, requests };
}

/** Whole response frames, one per call, in order. */
function frameReader(socket: Socket): () => Promise<Buffer> {
  let chunks: Buffer[] = [];
  let buffered = 0;
  let waiting: ((f: Buffer) => void) | null = null;
  let failed: Error | null = null;
  let fail: ((e: Error) => void) | null = null;
  const drain = (): void => {
    if (!waiting || buffered < 4) return;
    if (chunks[0]!.length < 4) chunks = [Buffer.concat(chunks)];
    const size = chunks[0]!.readInt32BE(0);
    if (buffered < 4 + size) return;
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const rest = all.subarray(4 + size);
    chunks = rest.length ? [rest] : [];
    buffered = rest.length;
    const w = waiting;
    waiting = null;
    fail = null;
    w(all.subarray(4, 4 + size));
  };
  socket.on('data', (b: Buffer) => {
    chunks.push(b);
    buffered += b.length;
    drain();
  });
  socket.on('close', () => {
    failed = new Error('the broker closed the connection');
    fail?.(failed);
  });
  socket.on('error', () => undefined);
  return () =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      waiting = resolve;
      fail = reject;
      drain();
    });
}
