// A delivered message's ReceiveMessageResponse, encoded straight to protobuf
// bytes. proto-loader's serializer builds a protobufjs message from the plain
// object (parsing int64 strings into Longs on the way) and then encodes it:
// 15 µs of a receive's 40 per message in the broker's own code. The fields
// are those convert.ts's outgoing() sets, with the same values; the test
// decodes both encodings and compares them.
import type * as grpc from '@grpc/grpc-js';
import type { Popped } from '../../broker/rocketmq/pop-service.js';
import { bodyDigest, type PbResource } from './convert.js';

/** apache.rocketmq.v2 enum values (definition.proto). */
const MESSAGE_TYPE = { NORMAL: 1, FIFO: 2, DELAY: 3 } as const;
const ENCODING = { IDENTITY: 1, GZIP: 2 } as const;
const DIGEST_CRC32 = 1;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

class Writer {
  private buf = Buffer.allocUnsafe(2048);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  varint(v: number | bigint): void {
    this.room(10);
    if (typeof v === 'bigint') {
      if (v < 0n || v > MAX_SAFE) return this.wide(BigInt.asUintN(64, v));
      v = Number(v);
    }
    // Negative int32/int64 values take ten bytes, as two's complement in 64 bits.
    if (v < 0) return this.wide(BigInt.asUintN(64, BigInt(v)));
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private wide(v: bigint): void {
    while (v > 127n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(field: number, wire: 0 | 2): void {
    this.varint(field * 8 + wire);
  }

  number(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  string(field: number, s: string): void {
    const n = Buffer.byteLength(s);
    this.tag(field, 2);
    this.varint(n);
    this.room(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** A nested message: what `body` writes, then its length put in front of it. */
  nested(field: number, body: () => void): void {
    this.tag(field, 2);
    const at = this.pos;
    body();
    const length = this.pos - at;
    const lengthBytes = length < 128 ? 1 : length < 16384 ? 2 : length < 2097152 ? 3 : 4;
    this.room(lengthBytes);
    this.buf.copyWithin(at + lengthBytes, at, this.pos);
    const end = this.pos + lengthBytes;
    this.pos = at;
    this.varint(length);
    this.pos = end;
  }

  /** google.protobuf.Timestamp or Duration of `ms` milliseconds (seconds floored, nanos not negative). */
  time(field: number, ms: number | bigint): void {
    let seconds: number | bigint;
    let nanos: number;
    if (typeof ms === 'number' || (ms >= -MAX_SAFE && ms <= MAX_SAFE)) {
      const n = Number(ms);
      seconds = Math.floor(n / 1000);
      nanos = (n - seconds * 1000) * 1e6;
    } else {
      // A record's timestamp may be anything an int64 holds (a Kafka producer's).
      seconds = ms >= 0n ? ms / 1000n : (ms - 999n) / 1000n;
      nanos = Number(ms - seconds * 1000n) * 1e6;
    }
    this.nested(field, () => {
      if (seconds !== 0 && seconds !== 0n) this.number(1, seconds);
      if (nanos !== 0) this.number(2, nanos);
    });
  }

  /** The bytes written, copied out (the writer is used again). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

// One writer for every answer: encoding is synchronous, so none overlap.
const w = new Writer();

/** ReceiveMessageResponse { message } for one delivery. */
export function encodeReceived(p: Popped, topic: PbResource, storeHost: string): Buffer {
  const m = p.message;
  w.pos = 0;
  w.nested(2, () => {
    w.nested(1, () => {
      if (topic.resourceNamespace) w.string(1, topic.resourceNamespace);
      if (topic.name) w.string(2, topic.name);
    });
    for (const [k, v] of m.userProperties) {
      w.nested(2, () => {
        w.string(1, k);
        w.string(2, v);
      });
    }
    w.nested(3, () => {
      if (m.tag !== null) w.string(1, m.tag);
      for (const k of m.keys) w.string(2, k);
      w.string(3, m.messageId);
      w.nested(4, () => {
        w.number(1, DIGEST_CRC32);
        w.string(2, bodyDigest(m.body).checksum);
      });
      w.number(5, ENCODING[m.bodyEncoding]);
      w.number(6, MESSAGE_TYPE[m.messageGroup !== null ? 'FIFO' : m.deliveryTimestampMs !== null ? 'DELAY' : 'NORMAL']);
      w.time(7, m.bornTimestampMs);
      w.string(8, m.bornHost);
      w.string(10, storeHost);
      if (m.deliveryTimestampMs !== null) w.time(11, m.deliveryTimestampMs);
      w.string(12, p.handle);
      w.number(13, p.partition);
      w.number(14, p.offset);
      w.time(15, p.invisibleMs);
      w.number(16, p.attempt);
      if (m.messageGroup !== null) w.string(17, m.messageGroup);
      if (m.traceContext !== null) w.string(18, m.traceContext);
    });
    w.bytes(4, m.body);
  });
  return w.take();
}

/** MessagingService with ReceiveMessage answers that are Buffers (from encodeReceived) passed on as they are. */
export function passEncodedReceives(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const receive = service.ReceiveMessage!;
  const serialize = receive.responseSerialize;
  return { ...service, ReceiveMessage: { ...receive, responseSerialize: (r: unknown) => (Buffer.isBuffer(r) ? r : serialize(r)) } };
}
