// gRPC over HTTP/2's own parts (grpc/doc/PROTOCOL-HTTP2.md): status codes,
// the header blocks a server answers with, grpc-timeout, grpc-message's
// percent-encoding, and the 5-byte prefix of every message.
import { encodeHeaders } from '../http2/hpack.js';

/** grpc/doc/statuscodes.md */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export const MESSAGE_PREFIX_BYTES = 5;

/** The response's headers, the same for every call: encoded once. */
export const RESPONSE_HEADERS = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc+proto'], ['grpc-accept-encoding', 'identity,deflate,gzip']]);
const OK_TRAILERS = encodeHeaders([['grpc-status', '0'], ['grpc-message', '']]);

/** Trailers with this status; with `withHeaders`, a whole trailers-only response (RFC: HEADERS with END_STREAM). */
export function trailers(code: number, message: string, withHeaders: boolean): Buffer {
  if (code === GRPC_STATUS.OK && !withHeaders) return OK_TRAILERS;
  const fields: Array<[string, string]> = withHeaders ? [[':status', '200'], ['content-type', 'application/grpc+proto']] : [];
  fields.push(['grpc-status', String(code)], ['grpc-message', percentEncode(message)]);
  return encodeHeaders(fields);
}

/** An HTTP error answer for a request that is not gRPC. */
export function httpError(status: number): Buffer {
  return encodeHeaders([[':status', String(status)]]);
}

/** grpc-message: printable ASCII but '%' as is, everything else as %XX of its UTF-8 bytes. */
export function percentEncode(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** The grpc-timeout header (at most 8 digits and a unit), in ms; null when absent or malformed (as grpc-js, no deadline then). */
export function grpcTimeoutMs(value: string | undefined): number | null {
  if (value === undefined) return null;
  // A client sends the same timeout on call after call: its value is parsed once (a regular expression and a number parse were a tenth of a call's header handling).
  if (value === lastTimeout) return lastTimeoutMs;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  lastTimeout = value;
  lastTimeoutMs = m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
  return lastTimeoutMs;
}

let lastTimeout: string | undefined;
let lastTimeoutMs: number | null = null;

/** The prefix of a message that is not compressed: its length. */
export function messagePrefix(length: number): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES);
  out[0] = 0;
  out.writeUInt32BE(length, 1);
  return out;
}
