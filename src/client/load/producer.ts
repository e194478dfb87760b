// The load producer: one connection, one pre-encoded request frame per slot
// of a window of requests in flight, a fixed target rate or as fast as the
// broker answers. Latency is measured from each batch's intended send time
// (start + n / rate), not from when a full window let it go, so a stalled
// broker shows up in the percentiles instead of hiding (no coordinated
// omission). Every record carries the producer id and a sequence number.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { RecordableHistogram } from 'node:perf_hooks';
import { bytesOf, decodeResponse, encodeRequest } from '../../protocol/kafka/index.js';
import { sizeOfUnsignedVarInt } from '../../records/varint.js';
import { KafkaConnection } from '../connection.js';
import { ResponseFrames } from '../response-frames.js';
import { newLatencyHistogram, recordMicros } from './histogram.js';
import { nowMicros, StampedBatch } from './stamped-batch.js';

export interface ProducerLoadOptions {
  host: string;
  port: number;
  topic: string;
  partitions: readonly number[];
  recordsPerBatch: number;
  valueBytes: number;
  acks: 0 | 1 | -1;
  window: number;
  /** Records per second to aim at; 0 for as fast as possible. */
  targetRecordsPerSecond: number;
  /** Stop after this many records, or this long, whichever first. */
  maxRecords: number;
  maxMs: number;
  /** Timeline resolution. */
  bucketMs?: number;
  /**
   * On a lost connection (a broker killed and restarted), reconnect and
   * send every unacknowledged request again, as a retrying Kafka producer
   * does: at least once, so a request written before the crash but not
   * answered comes back as a duplicate. Without it a lost connection throws.
   */
  reconnect?: boolean;
  /**
   * Idempotent (KIP-98): a producer id from InitProducerId, kept across
   * reconnects, and per-partition sequence numbers in every batch header,
   * so a request sent again after a reconnect is not written twice. Kafka
   * allows at most 5 requests in flight for this; so does the window here.
   */
  idempotent?: boolean;
  /** No new request once aborted; the answers of those in flight are still awaited (and with reconnect, sent for again). */
  stop?: AbortSignal;
  /** Each answer, in request order: the first record sequence of its request, the records in it, and whether the broker took them. */
  onAck?: (firstSequence: number, records: number, ok: boolean) => void;
  /** The Produce version sent (default 7, the last before flexible versions): the benchmarks compare versions with it. */
  apiVersion?: number;
  /** The topic's id (Metadata v10+), needed from Produce v13, which names topics by id. */
  topicId?: string;
  /**
   * When the first request is due, on this thread's nowMicros() clock
   * (default: once connected); maxMs counts from it. A fleet of producers
   * opens its connections first and then starts together, each at its own
   * phase of the interval, instead of sending in lockstep or one by one.
   */
  startAtMicros?: number;
  /** Answers to requests due before this time (nowMicros() clock) are left out of the latency histogram: a warm-up. */
  latencyFromMicros?: number;
  /**
   * How long to wait for an answer before taking the connection for lost
   * (default 5000 ms). An overload test raises it: there a slow answer is a
   * latency to record, not a failure.
   */
  responseTimeoutMs?: number;
  /**
   * Awaited once every answer is in, before the connection closes: a fleet
   * holds its connections open until all have finished, so that closing
   * the early ones is not charged to the latency of the late ones.
   */
  beforeClose?: () => Promise<void>;
}

/** Kafka's max.in.flight.requests.per.connection limit for idempotence. */
export const IDEMPOTENT_MAX_WINDOW = 5;

export interface ProducerLoadResult {
  producerId: bigint;
  /** Records sent and acknowledged without error (acks=0: sent). */
  sentRecords: number;
  ackedRecords: number;
  errors: number;
  firstError: string | null;
  /** Connections lost and made again. */
  reconnects: number;
  /** Requests sent again after a reconnect. */
  resent: number;
  seconds: number;
  bytes: number;
  latency: RecordableHistogram;
  /** Acknowledged records per bucket, from the start. */
  timeline: number[];
  bucketMs: number;
}

interface Slot {
  frame: Buffer;
  batch: StampedBatch;
  /** Where the request's partition index sits (written per send when spreading over partitions). */
  partitionAt: number;
}

export async function produceLoad(o: ProducerLoadOptions): Promise<ProducerLoadResult> {
  if (o.idempotent && (o.window > IDEMPOTENT_MAX_WINDOW || o.acks !== -1)) throw new RangeError(`an idempotent producer needs acks=-1 and at most ${IDEMPOTENT_MAX_WINDOW} requests in flight`);
  const producerId = randomBytes(8).readBigInt64BE(0) & 0x7fffffffffffffffn;
  const slots = buildSlots(o, producerId);
  if (o.idempotent) {
    const id = await initProducerId(o.host, o.port);
    for (const s of slots) s.batch.setProducer(id.producerId, id.epoch);
  }
  let socket = await open(o.host, o.port);
  const bucketMs = o.bucketMs ?? 100;
  const result: ProducerLoadResult = { producerId, sentRecords: 0, ackedRecords: 0, errors: 0, firstError: null, reconnects: 0, resent: 0, seconds: 0, bytes: 0, latency: newLatencyHistogram(), timeline: [], bucketMs };
  const intended: number[] = []; // per request in flight, in order
  const startMicros = Math.max(o.startAtMicros ?? 0, nowMicros());
  const startWall = Date.now() + (startMicros - nowMicros()) / 1000;
  if (startMicros > nowMicros()) await sleepMicros(startMicros - nowMicros());
  const interval = o.targetRecordsPerSecond > 0 ? (1e6 * o.recordsPerBatch) / o.targetRecordsPerSecond : 0;
  let sent = 0;
  let acked = 0;
  let sequence = 0;
  let responses = new ResponseFrames(socket);
  const deadline = startMicros + o.maxMs * 1000;

  const sendOne = (): void => {
    const slot = slots[sent % slots.length]!;
    // Latency counts from the intended send time when the send is late (no
    // coordinated omission), from the actual one when a timer let it go early.
    const now = nowMicros();
    const due = interval > 0 ? Math.min(startMicros + sent * interval, now) : now;
    slot.frame.writeInt32BE(sent + 1, 8); // correlation id
    slot.frame.writeInt32BE(o.partitions[sent % o.partitions.length]!, slot.partitionAt);
    // Request k goes to partition k mod P, so it is that partition's floor(k / P)-th batch.
    const baseSequence = o.idempotent ? Math.floor(sent / o.partitions.length) * o.recordsPerBatch : undefined;
    slot.batch.stamp(sequence, due, Math.round(startWall + (due - startMicros) / 1000), baseSequence);
    // With acks=0 no answer says the slot's bytes left: send a copy.
    socket.write(o.acks === 0 ? Buffer.from(slot.frame) : slot.frame);
    intended.push(due);
    sequence += o.recordsPerBatch;
    sent++;
    result.bytes += slot.batch.bytes.length;
  };
  const onAck = (frame: Buffer | null): void => {
    const due = intended.shift()!;
    const now = nowMicros();
    if (o.latencyFromMicros === undefined || due >= o.latencyFromMicros) recordMicros(result.latency, now - due);
    let ok = true;
    if (frame) {
      const p = decodeResponse(0, o.apiVersion ?? 7, frame).body.responses[0]!.partitionResponses[0]!;
      if (p.errorCode !== 0) {
        ok = false;
        result.errors++;
        result.firstError ??= `error ${p.errorCode}${p.errorMessage ? `: ${p.errorMessage}` : ''}`;
      }
    }
    o.onAck?.(acked * o.recordsPerBatch, o.recordsPerBatch, ok);
    if (ok) {
      result.ackedRecords += o.recordsPerBatch;
      const bucket = Math.floor((now - startMicros) / 1000 / bucketMs);
      while (result.timeline.length <= bucket) result.timeline.push(0);
      result.timeline[bucket] = result.timeline[bucket]! + o.recordsPerBatch;
    }
    acked++;
  };

  const reconnect = async (why: unknown): Promise<void> => {
    if (!o.reconnect) throw why;
    socket.destroy();
    for (;;) {
      if (nowMicros() > deadline + 30e6) throw new Error(`could not reconnect to ${o.host}:${o.port}: ${(why as Error).message}`);
      try {
        socket = await open(o.host, o.port);
        break;
      } catch {
        await sleepMicros(50_000);
      }
    }
    responses = new ResponseFrames(socket);
    result.reconnects++;
    // Unanswered requests still sit in their slots (a slot is reused only
    // after its answer came): send them again, in order.
    if (o.acks !== 0) {
      for (let k = acked; k < sent; k++) socket.write(slots[k % slots.length]!.frame);
      result.resent += sent - acked;
    }
  };

  try {
    for (;;) {
      if (socket.destroyed || responses.closed) {
        await reconnect(new Error('the broker closed the connection'));
        continue;
      }
      const more = sent * o.recordsPerBatch < o.maxRecords && nowMicros() < deadline && !o.stop?.aborted;
      if (!more && acked === sent) break;
      if (more && sent - acked < o.window) {
        if (interval > 0) {
          const wait = startMicros + sent * interval - nowMicros();
          if (wait > 1000 && sent > acked) {
            // Nothing due yet: take an answer if one comes first.
            const r = await responses.next(wait / 1000).catch((err: Error) => err);
            if (r instanceof Error) await reconnect(r);
            else if (r !== undefined) onAck(o.acks === 0 ? null : r);
            continue;
          }
          if (wait > 0) await sleepMicros(wait);
        }
        sendOne();
        if (o.acks === 0) {
          onAck(null);
          if (socket.writableLength > 4 * 1024 * 1024) await once(socket, 'drain');
        }
        continue;
      }
      if (o.acks === 0) continue;
      const timeoutMs = o.responseTimeoutMs ?? 5000;
      const r = await responses.next(timeoutMs).catch((err: Error) => err);
      if (r instanceof Error) await reconnect(r);
      else if (r === undefined) await reconnect(new Error(`no produce response in ${timeoutMs / 1000} s`));
      else onAck(r);
    }
    await o.beforeClose?.();
  } finally {
    socket.destroy();
  }
  result.sentRecords = sent * o.recordsPerBatch;
  result.seconds = (nowMicros() - startMicros) / 1e6;
  return result;
}

function buildSlots(o: ProducerLoadOptions, producerId: bigint): Slot[] {
  return Array.from({ length: o.window }, () => {
    const batch = new StampedBatch(producerId, o.recordsPerBatch, o.valueBytes);
    const version = o.apiVersion ?? 7;
    if (version >= 13 && o.topicId === undefined) throw new Error(`Produce v${version} names topics by id: give the topic's id`);
    const topic = version >= 13 ? { topicId: o.topicId! } : { name: o.topic };
    const body = bytesOf(
      encodeRequest(0, version, 0, 'mqlab-load', {
        transactionalId: null,
        acks: o.acks,
        timeoutMs: 30_000,
        topicData: [{ ...topic, partitionData: [{ index: o.partitions[0]!, records: batch.bytes }] }],
      }),
    );
    // The partition's records end the request, followed in flexible
    // versions (9+) by three empty tagged-field sections: the partition's,
    // the topic's and the request's. Before the records: the partition
    // index, then their length (an int32, or in flexible versions an
    // unsigned varint of length + 1).
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeInt32BE(body.length, 0);
    body.copy(frame, 4);
    const flexible = version >= 9;
    const at = frame.length - batch.bytes.length - (flexible ? 3 : 0);
    const partitionAt = at - (flexible ? sizeOfUnsignedVarInt(batch.bytes.length + 1) : 4) - 4;
    if (!frame.subarray(at, at + batch.bytes.length).equals(batch.bytes) || frame.readInt32BE(partitionAt) !== o.partitions[0]) {
      throw new Error(`Produce v${version}: the records are not where the load tool writes its stamps`);
    }
    batch.moveInto(frame, at);
    return { frame, batch, partitionAt };
  });
}

async function initProducerId(host: string, port: number): Promise<{ producerId: bigint; epoch: number }> {
  const conn = await KafkaConnection.open(host, port, 'mqlab-load');
  try {
    const r = await conn.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    if (r.errorCode !== 0) throw new Error(`InitProducerId: error ${r.errorCode}`);
    return { producerId: r.producerId, epoch: r.producerEpoch };
  } finally {
    conn.close();
  }
}

async function open(host: string, port: number): Promise<Socket> {
  const socket = connect(port, host);
  socket.on('error', () => undefined); // surfaced as a close
  await once(socket, 'connect');
  socket.setNoDelay(true);
  return socket;
}

function sleepMicros(us: number): Promise<void> {
  return new Promise((r) => (us >= 1000 ? setTimeout(r, Math.floor(us / 1000)) : setImmediate(r)));
}
