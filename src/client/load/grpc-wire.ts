// gRPC over node:http2, for the RocketMQ load tools. grpc-js's client
// spends about 2.5× the broker's CPU per unary call (measured in the
// protocols scenario's notes), so with both on two cores it, not the broker,
// would set the pace; this speaks the wire format itself: one HTTP/2
// session, a POST per call, each message framed as a flag byte and a 32-bit
// length. Requests are protobuf bytes the caller encodes (once, as
// templates); responses come back as bytes, read with the field walker below.
import { connect, constants, type ClientHttp2Session } from 'node:http2';

const SERVICE_PATH = '/apache.rocketmq.v2.MessagingService/';

export class GrpcCallError extends Error {
  constructor(readonly grpcStatus: number, message: string) {
    super(message);
  }
}

export class GrpcSession {
  private constructor(private readonly session: ClientHttp2Session) {}

  static async connect(endpoint: string): Promise<GrpcSession> {
    // Large windows: a window of 16-message sends or 32-message receives
    // would otherwise wait on WINDOW_UPDATE frames, not on the broker.
    const session = connect(`http://${endpoint}`, { settings: { initialWindowSize: 4 * 1024 * 1024 } });
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    session.setLocalWindowSize(32 * 1024 * 1024);
    // A call's own error reports it; this keeps a late session error from being unhandled.
    session.on('error', () => undefined);
    return new GrpcSession(session);
  }

  /** One call: the request message, and every response message (one for unary calls, any number for server streams). */
  call(method: string, request: Buffer, timeoutMs: number, clientId = ''): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: SERVICE_PATH + method,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.round(timeoutMs))}m`,
      };
      if (clientId) headers['x-mq-client-id'] = clientId;
      const stream = this.session.request(headers);
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const take = (h: Record<string, unknown>): void => {
        if (h['grpc-status'] !== undefined) {
          status = String(h['grpc-status']);
          message = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      };
      // A failing call may answer with headers only (no trailers).
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('error', reject);
      stream.on('close', () => {
        if (status === undefined) return reject(new GrpcCallError(-1, `${method}: the stream closed without a gRPC status (HTTP/2 code ${stream.rstCode})`));
        if (status !== '0') return reject(new GrpcCallError(Number(status), `${method}: gRPC status ${status}: ${message}`));
        try {
          resolve(unframe(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
        } catch (err) {
          reject(err);
        }
      });
      const frame = Buffer.allocUnsafe(5 + request.length);
      frame[0] = 0;
      frame.writeUInt32BE(request.length, 1);
      request.copy(frame, 5);
      stream.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

function unframe(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 5 <= buf.length) {
    if (buf[at] !== 0) throw new Error('a compressed gRPC message: none was asked for');
    const length = buf.readUInt32BE(at + 1);
    if (at + 5 + length > buf.length) break;
    out.push(buf.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  if (at !== buf.length) throw new Error(`a truncated gRPC message (${buf.length - at} bytes left over)`);
  return out;
}

/**
 * Calls `visit(field, wireType, value)` for each top-level field of a
 * protobuf message: value is the varint for wire type 0, the bytes for
 * wire type 2 (fixed-width fields are skipped). Enough to pick statuses,
 * ids and bodies out of responses without decoding all of them.
 */
export function forEachField(buf: Buffer, visit: (field: number, wireType: number, value: number | Buffer) => void): void {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[at++];
      if (b === undefined) throw new Error('a truncated protobuf varint');
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) visit(field, 0, varint());
    else if (wire === 2) {
      const length = varint();
      visit(field, 2, buf.subarray(at, at + length));
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`protobuf wire type ${wire} is not expected here`);
  }
}

/** The code of a response's Status (field `statusField`), or -1 without one. */
export function statusCode(response: Buffer, statusField = 1): number {
  let code = -1;
  forEachField(response, (f, w, v) => {
    if (f === statusField && w === 2) {
      code = 0;
      forEachField(v as Buffer, (sf, sw, sv) => {
        if (sf === 1 && sw === 0) code = sv as number;
      });
    }
  });
  return code;
}
