// gRPC for the RocketMQ load tools, over their own HTTP/2 client
// connection (h2-client.ts): grpc-js's client spends about 2.5× the
// broker's CPU per unary call, node:http2's about 5×, so with both on two
// cores the client, not the broker, would set the pace. One connection, a
// stream per call, each message framed as a flag byte and a 32-bit length.
// Requests are protobuf bytes the caller encodes (once, as templates);
// responses come back as bytes, read with the field walker below.
import type { HeaderSet } from '../../protocol/http2/hpack-encoder.js';
import { H2ClientConnection, type Answer } from './h2-client.js';
import { GrpcMessageReader, unframe } from './grpc-messages.js';

const SERVICE_PATH = '/apache.rocketmq.v2.MessagingService/';
/** How long past its deadline a call waits for the server's own DEADLINE_EXCEEDED before giving up on it. */
const DEADLINE_GRACE_MS = 5_000;

export class GrpcCallError extends Error {
  constructor(readonly grpcStatus: number, message: string) {
    super(message);
  }
}

export class GrpcSession {
  /** Header fields by method, timeout and client id: a load tool calls a few methods a great many times. */
  private readonly headers = new Map<string, HeaderSet>();

  private constructor(private readonly connection: H2ClientConnection, private readonly authority: string) {}

  static async connect(endpoint: string): Promise<GrpcSession> {
    const colon = endpoint.lastIndexOf(':');
    const host = endpoint.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    return new GrpcSession(await H2ClientConnection.connect(host, Number(endpoint.slice(colon + 1))), endpoint);
  }

  /** One call: the request message, and every response message (one for unary calls, any number for server streams). */
  async call(method: string, request: Buffer, timeoutMs: number, clientId = ''): Promise<Buffer[]> {
    return unframe((await this.exchange(method, request, timeoutMs, clientId, null)).data);
  }

  /**
   * One call whose response messages go to `onMessage` as they arrive, each
   * valid only during the call (a view of a socket read the connection
   * reuses, or of a buffer a message split across reads is joined in):
   * a reader that copies what it keeps makes no garbage of the answer.
   */
  async callEach(method: string, request: Buffer, timeoutMs: number, onMessage: (message: Buffer) => void, clientId = '', tag: object | null = null): Promise<void> {
    const reader = new GrpcMessageReader(onMessage);
    await this.exchange(method, request, timeoutMs, clientId, (piece) => reader.push(piece), tag);
    reader.end();
  }

  /** Resets the calls made with `tag` still under way (callEach's): each rejects with CancelledCall. */
  cancel(tag: object): void {
    this.connection.cancel(tag);
  }

  private async exchange(method: string, request: Buffer, timeoutMs: number, clientId: string, onData: ((piece: Buffer) => void) | null, tag: object | null = null): Promise<Answer> {
    const timeout = `${Math.max(1, Math.round(timeoutMs))}m`;
    const key = `${method}\0${timeout}\0${clientId}`;
    let headers = this.headers.get(key);
    if (headers === undefined) {
      const fields: Array<[string, string]> = [[':method', 'POST'], [':scheme', 'http'], [':path', SERVICE_PATH + method], [':authority', this.authority], ['content-type', 'application/grpc'], ['te', 'trailers'], ['grpc-timeout', timeout]];
      if (clientId) fields.push(['x-mq-client-id', clientId]);
      if (this.headers.size >= 64) this.headers.clear();
      this.headers.set(key, (headers = { fields }));
    }
    const frame = Buffer.allocUnsafe(5 + request.length);
    frame[0] = 0;
    frame.writeUInt32BE(request.length, 1);
    request.copy(frame, 5);
    const answer = await this.connection.exchange(headers, frame, Date.now() + timeoutMs + DEADLINE_GRACE_MS, onData, tag);
    let status: string | undefined;
    let message = '';
    // A failing call may answer with headers only (no trailers); the last status given stands.
    for (const [name, value] of answer.fields) {
      if (name === 'grpc-status') status = value;
      else if (name === 'grpc-message') message = value;
    }
    if (status === undefined) throw new GrpcCallError(-1, `${method}: the stream closed without a gRPC status${answer.reset === null ? '' : ` (HTTP/2 code ${answer.reset})`}`);
    if (status !== '0') throw new GrpcCallError(Number(status), `${method}: gRPC status ${status}: ${percentDecoded(message)}`);
    return answer;
  }

  close(): void {
    this.connection.close();
  }
}

function percentDecoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Calls `visit(field, wireType, start, end, varint)` for each top-level
 * field of the protobuf message in buf[from, to): a length-delimited
 * field's value lies in [start, end); a varint field's value is `varint`
 * (start and end its bytes); fixed-width fields are stepped over. The one
 * field walker of the load tools: enough to pick statuses, ids and bodies
 * out of responses without decoding all of them, or making a view of each.
 */
export function walkFields(buf: Buffer, from: number, to: number, visit: (field: number, wireType: number, start: number, end: number, varint: number) => void): void {
  let at = from;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (at >= to) throw new Error('a truncated protobuf varint');
      const b = buf[at++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (at < to) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const start = at;
      const v = varint();
      visit(field, 0, start, at, v);
    } else if (wire === 2) {
      const length = varint();
      if (at + length > to) throw new Error('a truncated protobuf field');
      visit(field, 2, at, at + length, 0);
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`protobuf wire type ${wire} is not expected here`);
  }
}

/** walkFields over a whole message, with values: the varint for wire type 0, a view of the bytes for wire type 2. */
export function forEachField(buf: Buffer, visit: (field: number, wireType: number, value: number | Buffer) => void): void {
  walkFields(buf, 0, buf.length, (field, wire, start, end, v) => visit(field, wire, wire === 2 ? buf.subarray(start, end) : v));
}

/** The code of a response's Status (field `statusField`), or -1 without one. */
export function statusCode(response: Buffer, statusField = 1): number {
  let code = -1;
  walkFields(response, 0, response.length, (f, w, start, end) => {
    if (f === statusField && w === 2) code = statusCodeIn(response, start, end);
  });
  return code;
}

/** The code of the Status message in buf[start, end) (0 where it has none: proto3's default). */
export function statusCodeIn(buf: Buffer, start: number, end: number): number {
  let code = 0;
  walkFields(buf, start, end, (f, w, _s, _e, v) => {
    if (f === 1 && w === 0) code = v;
  });
  return code;
}
