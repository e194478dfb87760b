// HTTP/2's frames (RFC 9113 §4, §6): types, flags, error codes, settings,
// and the errors the connection answers with GOAWAY or RST_STREAM.

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_BYTES = 9;

export const FRAME = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const SETTING = { HEADER_TABLE_SIZE: 1, ENABLE_PUSH: 2, MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5, MAX_HEADER_LIST_SIZE: 6 } as const;

/** RFC 9113 §7. */
export const H2_ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_FRAME_LIMIT = 2 ** 24 - 1;

/** An error of the whole connection: GOAWAY with this code, then the connection closes. */
export class ConnectionError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** An error of one stream: RST_STREAM with this code; the connection goes on. */
export class StreamError extends Error {
  constructor(readonly streamId: number, readonly code: number, message: string) {
    super(message);
  }
}

export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  writeHeader(h, length, type, flags, streamId);
  return h;
}

/** A whole frame whose payload is small (control frames): header and payload in one buffer. */
export function smallFrame(type: number, flags: number, streamId: number, payload?: Buffer): Buffer {
  const length = payload ? payload.length : 0;
  const f = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  writeHeader(f, length, type, flags, streamId);
  if (payload) payload.copy(f, FRAME_HEADER_BYTES);
  return f;
}

function writeHeader(b: Buffer, length: number, type: number, flags: number, streamId: number): void {
  b[0] = length >>> 16;
  b[1] = (length >>> 8) & 0xff;
  b[2] = length & 0xff;
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(streamId, 5);
}

export function settingsFrame(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const p = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(value, 6 * i + 2);
  });
  return smallFrame(FRAME.SETTINGS, 0, 0, p);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const f = smallFrame(FRAME.WINDOW_UPDATE, 0, streamId, Buffer.alloc(4));
  f.writeUInt32BE(increment, FRAME_HEADER_BYTES);
  return f;
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const f = smallFrame(FRAME.RST_STREAM, 0, streamId, Buffer.alloc(4));
  f.writeUInt32BE(code, FRAME_HEADER_BYTES);
  return f;
}

export function goAwayFrame(lastStreamId: number, code: number, debug: string): Buffer {
  const d = Buffer.from(debug.slice(0, 200), 'utf8');
  const p = Buffer.allocUnsafe(8 + d.length);
  p.writeUInt32BE(lastStreamId, 0);
  p.writeUInt32BE(code, 4);
  d.copy(p, 8);
  return smallFrame(FRAME.GOAWAY, 0, 0, p);
}

/**
 * A header block as HEADERS and, past the peer's largest frame,
 * CONTINUATION frames. The usual block fits one frame: header and block in
 * one small buffer. A longer one goes as each frame's header and a view of
 * the block.
 */
export function headerFrames(streamId: number, block: Buffer, endStream: boolean, maxFrame: number): Buffer[] {
  if (block.length <= maxFrame) return [smallFrame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), streamId, block)];
  const out: Buffer[] = [];
  for (let at = 0; at === 0 || at < block.length; at += maxFrame) {
    const part = block.subarray(at, at + maxFrame);
    const flags = (at + maxFrame >= block.length ? FLAG.END_HEADERS : 0) | (at === 0 && endStream ? FLAG.END_STREAM : 0);
    out.push(frameHeader(part.length, at === 0 ? FRAME.HEADERS : FRAME.CONTINUATION, flags, streamId), part);
  }
  return out;
}

/** A padded frame's payload without its pad length and padding. */
export function unpadded(payload: Buffer, what: string): Buffer {
  if (payload.length < 1) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, `padded ${what} without a pad length`);
  const end = payload.length - payload[0]!;
  if (end < 1) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, `${what} padding longer than the frame`);
  return payload.subarray(1, end);
}
