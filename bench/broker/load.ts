// The quick load generator of bench/broker: one connection, pre-encoded
// requests, a window of requests in flight. Produce sends the same batch
// again and again (the broker assigns offsets in its own copy); fetch reads
// a partition from 0 to its end, sequentially as a consumer does, counting
// bytes as they arrive without parsing the record data.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { bytesOf, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/kafka/index.js';
import { encodeBatch } from '../../src/records/index.js';

/** Size-prefixed response frames from a socket, handed over as whole frames or as counts. */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiting: ((frame: Buffer) => void)[] = [];

  constructor(socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.buffered += b.length;
      this.drain();
    });
  }

  next(): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.buffered >= 4) {
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0]!.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.waiting.shift()!(frame);
    }
  }
}

async function open(host: string, port: number): Promise<{ socket: Socket; reader: FrameReader }> {
  const socket = connect(port, host);
  await once(socket, 'connect');
  socket.setNoDelay(true);
  return { socket, reader: new FrameReader(socket) };
}

function framed(body: Buffer): Buffer {
  const f = Buffer.allocUnsafe(4 + body.length);
  f.writeInt32BE(body.length, 0);
  body.copy(f, 4);
  return f;
}

export interface ProduceRun {
  seconds: number;
  records: number;
  bytes: number;
  requests: number;
}

/** Produces `totalBytes` of batches of `recordsPerBatch` records of `recordBytes`, `window` requests in flight. */
export async function produceLoad(host: string, port: number, topic: string, recordBytes: number, recordsPerBatch: number, totalBytes: number, window: number): Promise<ProduceRun> {
  const { socket, reader } = await open(host, port);
  const value = Buffer.alloc(recordBytes, 0x61);
  const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: recordsPerBatch }, () => ({ key: null, value })) });
  const frame = framed(bytesOf(encodeRequest(0, 7, 0, 'bench', { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] })));
  // One frame per window slot: request s reuses slot s % window, whose
  // previous request (s - window) was answered, so its bytes were written.
  const slots = Array.from({ length: window }, () => Buffer.from(frame));
  const requests = Math.max(1, Math.round(totalBytes / batch.length));
  let sent = 0;
  let done = 0;
  const start = process.hrtime.bigint();
  const sendOne = (): void => {
    const f = slots[sent % window]!;
    f.writeInt32BE(sent + 1, 8); // correlation id
    socket.write(f);
    sent++;
  };
  while (sent < Math.min(window, requests)) sendOne();
  while (done < requests) {
    const response = await reader.next();
    if (done === 0 || done === requests - 1) {
      const r = decodeResponse(0, 7, response).body.responses[0]!.partitionResponses[0]!;
      if (r.errorCode !== 0) throw new Error(`produce failed with error ${r.errorCode}: ${r.errorMessage}`);
    }
    done++;
    if (sent < requests) sendOne();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  return { seconds, records: requests * recordsPerBatch, bytes: requests * batch.length, requests };
}

export interface FetchRun {
  seconds: number;
  bytes: number;
  requests: number;
}

/**
 * Reads partition 0 of `topic` from offset 0 to `endOffset`. Every batch
 * has `recordsPerBatch` records and `batchBytes` bytes (as produceLoad
 * wrote them), so the next offset follows from the records bytes alone.
 */
export async function fetchLoad(host: string, port: number, topic: string, endOffset: bigint, recordsPerBatch: number, batchBytes: number, maxBytes: number): Promise<FetchRun> {
  const { socket, reader } = await open(host, port);
  const request = (offset: bigint, id: number): Buffer =>
    framed(
      bytesOf(
        encodeRequest(1, 11, id, 'bench', {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes,
          isolationLevel: 0,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] }],
        }),
      ),
    );
  // The response without records: what a frame carries besides its batches.
  const empty = encodeResponse(1, 11, 0, { responses: [{ topic, partitions: [{ partitionIndex: 0, highWatermark: 0n, records: Buffer.alloc(0) }] }] }).size;
  let offset = 0n;
  let bytes = 0;
  let requests = 0;
  const start = process.hrtime.bigint();
  while (offset < endOffset) {
    socket.write(request(offset, ++requests));
    const frame = await reader.next();
    // Whole batches, and perhaps part of one more (the segmented engine
    // stops at maxBytes wherever it falls, as Kafka does; clients drop the
    // partial batch and fetch it again).
    const recordBytes = frame.length - empty;
    const whole = Math.floor(recordBytes / batchBytes);
    if (whole === 0) {
      const r = decodeResponse(1, 11, frame).body.responses[0]!.partitions[0]!;
      throw new Error(`fetch at ${offset}: error ${r.errorCode}, ${recordBytes} record bytes (batches are ${batchBytes})`);
    }
    bytes += recordBytes;
    offset += BigInt(whole * recordsPerBatch);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  return { seconds, bytes, requests };
}
