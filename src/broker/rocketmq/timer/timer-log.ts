// The timer log: where a delayed message lives until it is due, as in
// RocketMQ 5's timer log, except that the unit carries the message itself
// (RocketMQ's points into the commit log at rmq_sys_wheel_timer), so the
// timer store depends on no topic's retention. Append-only files named by
// the 20-digit global position of their first byte; a unit never spans
// files. Units of one wheel slot are chained backwards by `prevPos`.
//
//   0  u32  length of the whole unit
//   4  u32  CRC-32C of bytes 8..length
//   8  u8   type: 1 ADD (a delayed message), 2 CANCEL (a recall)
//   9  u8[3] reserved
//  12  i64  delivery time, ms since the epoch
//  20  i64  position of the previous unit of the same slot, -1 for none
//  28  i32  queue (partition) of the real topic
//  32  u16  topic length, u16 message id length
//  36  topic, message id, then (ADD) one Kafka record batch for the real topic
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../../../native/crc32c.js';

export const UNIT_ADD = 1;
export const UNIT_CANCEL = 2;
const HEADER_BYTES = 36;

export interface TimerUnit {
  type: number;
  deliverMs: number;
  prevPos: number;
  partition: number;
  topic: string;
  messageId: string;
  /** ADD: the record batch to append to the real topic when due; CANCEL: empty. */
  batch: Buffer;
  /** Bytes the unit takes in the log. */
  length: number;
}

export function encodeUnit(u: Omit<TimerUnit, 'length'>): Buffer {
  const topic = Buffer.from(u.topic);
  const id = Buffer.from(u.messageId);
  if (topic.length > 0xffff || id.length > 0xffff) throw new Error('topic or message id too long for a timer unit');
  const length = HEADER_BYTES + topic.length + id.length + u.batch.length;
  const b = Buffer.allocUnsafe(length);
  b.writeUInt32BE(length, 0);
  b.writeUInt8(u.type, 8);
  b.fill(0, 9, 12);
  b.writeBigInt64BE(BigInt(u.deliverMs), 12);
  b.writeBigInt64BE(BigInt(u.prevPos), 20);
  b.writeInt32BE(u.partition, 28);
  b.writeUInt16BE(topic.length, 32);
  b.writeUInt16BE(id.length, 34);
  topic.copy(b, HEADER_BYTES);
  id.copy(b, HEADER_BYTES + topic.length);
  u.batch.copy(b, HEADER_BYTES + topic.length + id.length);
  b.writeUInt32BE(crc32c(b.subarray(8)) >>> 0, 4);
  return b;
}

/**
 * The unit at `at` in `b`, or null if what is there is no whole, intact unit
 * (a torn tail). Its batch is a copy, or with `copy` false a view into `b`.
 */
export function decodeUnit(b: Buffer, at: number, copy = true): TimerUnit | null {
  if (at + HEADER_BYTES > b.length) return null;
  const length = b.readUInt32BE(at);
  if (length < HEADER_BYTES || at + length > b.length) return null;
  if ((crc32c(b.subarray(at + 8, at + length)) >>> 0) !== b.readUInt32BE(at + 4)) return null;
  const type = b.readUInt8(at + 8);
  const topicLen = b.readUInt16BE(at + 32);
  const idLen = b.readUInt16BE(at + 34);
  const bodyAt = at + HEADER_BYTES + topicLen + idLen;
  if ((type !== UNIT_ADD && type !== UNIT_CANCEL) || bodyAt > at + length) return null;
  return {
    type,
    deliverMs: Number(b.readBigInt64BE(at + 12)),
    prevPos: Number(b.readBigInt64BE(at + 20)),
    partition: b.readInt32BE(at + 28),
    topic: b.toString('utf8', at + HEADER_BYTES, at + HEADER_BYTES + topicLen),
    messageId: b.toString('utf8', at + HEADER_BYTES + topicLen, bodyAt),
    batch: copy ? Buffer.from(b.subarray(bodyAt, at + length)) : b.subarray(bodyAt, at + length),
    length,
  };
}

interface LogFile {
  base: number;
  fd: number;
  /** Bytes in the file, the queued ones included. */
  size: number;
  /** Appended units not yet written, the file's last `queuedBytes` bytes. */
  queued: Buffer[];
  queuedBytes: number;
  /** Written since the last sync (a request's units may end one file and begin the next). */
  unsynced: boolean;
}

export class TimerLog {
  private readonly files: LogFile[] = [];

  constructor(private readonly dir: string, readonly fileBytes: number, private readonly log: (m: string) => void) {}

  /**
   * Opens the files and calls `each` for every intact unit in order. A torn
   * tail of the last file is cut off; damage inside an older file ends that
   * file's scan (what follows in it is lost, and said so). A unit's batch is
   * a view into the file's bytes, valid during the call only.
   */
  open(each: (u: TimerUnit, pos: number, fileBase: number) => void): void {
    mkdirSync(this.dir, { recursive: true });
    const names = readdirSync(this.dir).filter((n) => /^\d{20}\.tlog$/.test(n)).sort();
    names.forEach((name, i) => {
      const base = Number(name.slice(0, 20));
      const path = join(this.dir, name);
      const bytes = readFileSync(path);
      let at = 0;
      for (;;) {
        const u = decodeUnit(bytes, at, false);
        if (!u) break;
        each(u, base + at, base);
        at += u.length;
      }
      const fd = openSync(path, 'r+');
      if (at < bytes.length) {
        this.log(`timer log ${name}: ${bytes.length - at} bytes after position ${base + at} are no intact unit${i === names.length - 1 ? ' (a torn tail): cut off' : ': skipped'}`);
        if (i === names.length - 1) ftruncateSync(fd, at);
      }
      this.files.push({ base, fd, size: i === names.length - 1 ? at : bytes.length, queued: [], queuedBytes: 0, unsynced: false });
    });
  }

  /** Where the next unit will go. */
  end(): number {
    const last = this.files[this.files.length - 1];
    return last ? last.base + last.size : 0;
  }

  /**
   * Appends an encoded unit (its prevPos already set); returns its position.
   * The bytes are queued: flush() writes them (read and sync flush first), so
   * a request of many delayed messages costs one write, not one a message.
   */
  append(unit: Buffer): number {
    let last = this.files[this.files.length - 1];
    if (!last || (last.size > 0 && last.size + unit.length > this.fileBytes)) {
      const base = last ? last.base + last.size : 0;
      const fd = openSync(join(this.dir, `${String(base).padStart(20, '0')}.tlog`), 'w+');
      last = { base, fd, size: 0, queued: [], queuedBytes: 0, unsynced: false };
      this.files.push(last);
    }
    const pos = last.base + last.size;
    last.queued.push(unit);
    last.queuedBytes += unit.length;
    last.size += unit.length;
    return pos;
  }

  /** Writes the queued appends (into the page cache: sync() makes them durable). */
  flush(): void {
    for (let i = this.files.length - 1; i >= 0 && this.files[i]!.queuedBytes > 0; i--) {
      const f = this.files[i]!;
      const b = f.queued.length === 1 ? f.queued[0]! : Buffer.concat(f.queued, f.queuedBytes);
      const at = f.size - f.queuedBytes;
      let done = 0;
      while (done < b.length) done += writeSync(f.fd, b, done, b.length - done, at + done);
      f.queued = [];
      f.queuedBytes = 0;
      f.unsynced = true;
    }
  }

  /** A slot's units, newest first, by the prevPos chain from its last unit. */
  *chain(lastPos: number): Generator<{ u: TimerUnit; pos: number }> {
    for (let pos = lastPos; pos >= 0; ) {
      const u = this.read(pos);
      yield { u, pos };
      pos = u.prevPos;
    }
  }

  read(pos: number): TimerUnit {
    this.flush();
    const f = this.fileAt(pos);
    const head = Buffer.allocUnsafe(4);
    if (readSync(f.fd, head, 0, 4, pos - f.base) !== 4) throw new Error(`timer log: no unit at ${pos}`);
    const length = head.readUInt32BE(0);
    const b = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(f.fd, b, got, length - got, pos - f.base + got);
      if (n === 0) break;
      got += n;
    }
    const u = decodeUnit(b.subarray(0, got), 0, false); // b is this call's own
    if (!u) throw new Error(`timer log: the unit at ${pos} is damaged`);
    return u;
  }

  sync(): void {
    this.flush();
    for (const f of this.files) {
      if (!f.unsynced) continue;
      fdatasyncSync(f.fd);
      f.unsynced = false;
    }
  }

  /** Base position of the file appends go to now. */
  activeBase(): number {
    return this.files[this.files.length - 1]?.base ?? 0;
  }

  /** Bytes held on disk. */
  bytes(): number {
    let n = 0;
    for (const f of this.files) n += f.size;
    return n;
  }

  /** Files before the active one, by base position (the candidates for deletion). */
  closedFiles(): { base: number; end: number }[] {
    return this.files.slice(0, -1).map((f) => ({ base: f.base, end: f.base + f.size }));
  }

  delete(base: number): void {
    this.flush();
    const i = this.files.findIndex((f) => f.base === base);
    if (i < 0 || i === this.files.length - 1) return;
    const [f] = this.files.splice(i, 1);
    closeSync(f!.fd);
    const path = join(this.dir, `${String(base).padStart(20, '0')}.tlog`);
    if (existsSync(path)) unlinkSync(path);
  }

  close(): void {
    this.flush();
    for (const f of this.files.splice(0)) closeSync(f.fd);
  }

  private fileAt(pos: number): LogFile {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.files[mid]!.base <= pos) lo = mid;
      else hi = mid - 1;
    }
    const f = this.files[lo];
    if (!f || pos < f.base || pos >= f.base + f.size) throw new Error(`timer log: position ${pos} is in no file`);
    return f;
  }
}
