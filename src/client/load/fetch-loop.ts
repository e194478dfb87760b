// A lean reader of one partition from start to end for throughput
// measurements: one fetch in flight, as a consumer has, and the response
// bytes counted as they arrive without looking at the records. Batches are
// all the same size (the load producer's), so the next offset follows from
// how many whole batches a response carried. Over TLS (a broker's SSL
// listener) the same loop runs on a node:tls socket.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { bytesOf, decodeResponse, encodeRequest, encodeResponse } from '../../protocol/kafka/index.js';
import { sizeOfUnsignedVarInt } from '../../records/varint.js';
import { ResponseFrames } from '../response-frames.js';

export interface FetchLoopResult {
  seconds: number;
  bytes: number;
  requests: number;
  /** Over TLS: the protocol and cipher suite negotiated, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384". */
  tls?: string;
}

/** Which Fetch version to send (default 11, the last before flexible versions); from v13 topics go by id. */
export interface FetchVersion {
  apiVersion: number;
  /** The topic's id (Metadata v10+), needed from v13. */
  topicId?: string;
  /** Speak TLS with these options (ca at least); plain TCP when absent. */
  tls?: ConnectionOptions;
}

export async function fetchLoop(host: string, port: number, topic: string, endOffset: bigint, recordsPerBatch: number, batchBytes: number, maxBytes: number, version: FetchVersion = { apiVersion: 11 }): Promise<FetchLoopResult> {
  const v = version.apiVersion;
  if (v >= 13 && version.topicId === undefined) throw new Error(`Fetch v${v} names topics by id: give the topic's id`);
  const named = v >= 13 ? { topicId: version.topicId! } : { topic };
  let socket: Socket;
  let negotiated: string | undefined;
  if (version.tls) {
    const t: TLSSocket = tlsConnect({ host, port, ...version.tls });
    socket = t;
    await once(t, 'secureConnect');
    negotiated = `${t.getProtocol()} ${t.getCipher().standardName}`;
  } else {
    socket = connect(port, host);
    await once(socket, 'connect');
  }
  socket.setNoDelay(true);
  const frames = new ResponseFrames(socket);
  const request = (offset: bigint, id: number): Buffer => {
    const body = bytesOf(
      encodeRequest(1, v, id, 'mqlab-fetch-loop', {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes,
        isolationLevel: 0,
        topics: [{ ...named, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] }],
      }),
    );
    const f = Buffer.allocUnsafe(4 + body.length);
    f.writeInt32BE(body.length, 0);
    body.copy(f, 4);
    return f;
  };
  // A response's size without its records.
  const empty = encodeResponse(1, v, 0, { responses: [{ ...named, partitions: [{ partitionIndex: 0, highWatermark: 0n, records: Buffer.alloc(0) }] }] }).size;
  let offset = 0n;
  let bytes = 0;
  let requests = 0;
  const start = process.hrtime.bigint();
  try {
    while (offset < endOffset) {
      socket.write(request(offset, ++requests));
      const frame = await frames.next();
      // Whole batches, and perhaps part of one more (a read may stop at
      // maxBytes inside a batch, as Kafka's does; it is fetched again).
      const recordBytes = recordBytesOf(frame.length - empty, v >= 12);
      const whole = Math.floor(recordBytes / batchBytes);
      if (whole === 0) {
        const r = decodeResponse(1, v, frame).body.responses[0]!.partitions[0]!;
        throw new Error(`fetch at ${offset}: error ${r.errorCode}, ${recordBytes} record bytes (batches are ${batchBytes})`);
      }
      bytes += recordBytes;
      offset += BigInt(whole * recordsPerBatch);
    }
  } finally {
    socket.destroy();
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes, requests, ...(negotiated ? { tls: negotiated } : {}) };
}

/**
 * The record bytes in a response `extra` bytes longer than the empty one:
 * flexible versions (12+) write the records' length as an unsigned varint of
 * length + 1, one byte when empty and more for a large set.
 */
function recordBytesOf(extra: number, flexible: boolean): number {
  if (!flexible) return extra;
  for (let lengthBytes = 1; lengthBytes <= 5; lengthBytes++) {
    const n = extra - (lengthBytes - 1);
    if (sizeOfUnsignedVarInt(n + 1) === lengthBytes) return n;
  }
  return extra;
}
