// A raw HTTP/2 server over net, just enough to capture the header blocks a
// real client (node:http2, grpc-js) sends and to answer with blocks of ours:
// it does the preface and SETTINGS exchange, joins HEADERS + CONTINUATION,
// acks PINGs and gives back connection flow-control credit. Independent of
// src/protocol/http2's framing layer on purpose, so it can judge it.
import { EventEmitter } from 'node:events';
import net from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const SETTING = { HEADER_TABLE_SIZE: 1, MAX_FRAME_SIZE: 5, MAX_HEADER_LIST_SIZE: 6 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

export interface HeaderBlock {
  streamId: number;
  /** The joined fragments, padding and priority fields removed. */
  block: Buffer;
  /** Frames it came in: 1 means no CONTINUATION. */
  frames: number;
  endStream: boolean;
}

/**
 * One client connection. Events: 'block' (HeaderBlock), 'streamEnd'
 * (streamId: END_STREAM on HEADERS or DATA), 'settingsAck', 'goaway'
 * (the client's error code), 'close'.
 */
export class RawH2Connection extends EventEmitter {
  private input: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private pending: { streamId: number; parts: Buffer[]; endStream: boolean } | null = null;

  constructor(readonly socket: net.Socket) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.emit('close'));
    socket.on('error', () => socket.destroy());
    this.sendSettings([]);
  }

  sendSettings(settings: ReadonlyArray<readonly [id: number, value: number]>): void {
    const payload = Buffer.alloc(settings.length * 6);
    settings.forEach(([id, value], i) => {
      payload.writeUInt16BE(id, i * 6);
      payload.writeUInt32BE(value, i * 6 + 2);
    });
    this.socket.write(frame(FRAME.SETTINGS, 0, 0, payload));
  }

  /** One HEADERS frame with END_HEADERS: the block must fit the client's max frame size (16,384 unless it said more). */
  sendHeaders(streamId: number, block: Buffer, endStream: boolean): void {
    this.socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), streamId, block));
  }

  sendData(streamId: number, data: Buffer, endStream: boolean): void {
    this.socket.write(frame(FRAME.DATA, endStream ? FLAG.END_STREAM : 0, streamId, data));
  }

  private receive(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    if (!this.prefaceSeen) {
      if (this.input.length < PREFACE.length) return;
      if (!this.input.subarray(0, PREFACE.length).equals(PREFACE)) {
        this.socket.destroy();
        return;
      }
      this.prefaceSeen = true;
      this.input = this.input.subarray(PREFACE.length);
    }
    while (this.input.length >= 9) {
      const length = this.input.readUIntBE(0, 3);
      if (this.input.length < 9 + length) return;
      const type = this.input[3]!;
      const flags = this.input[4]!;
      const streamId = this.input.readUInt32BE(5) & 0x7fffffff;
      const payload = this.input.subarray(9, 9 + length);
      this.input = this.input.subarray(9 + length);
      this.onFrame(type, flags, streamId, payload);
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case FRAME.SETTINGS:
        if (flags & FLAG.ACK) this.emit('settingsAck');
        else this.socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
        break;
      case FRAME.PING:
        if (!(flags & FLAG.ACK)) this.socket.write(frame(FRAME.PING, FLAG.ACK, 0, payload));
        break;
      case FRAME.GOAWAY:
        this.emit('goaway', payload.readUInt32BE(4));
        break;
      case FRAME.DATA:
        if (payload.length > 0) {
          const credit = Buffer.alloc(4);
          credit.writeUInt32BE(payload.length);
          this.socket.write(frame(FRAME.WINDOW_UPDATE, 0, 0, credit));
        }
        if (flags & FLAG.END_STREAM) this.emit('streamEnd', streamId);
        break;
      case FRAME.HEADERS: {
        let start = 0;
        let end = payload.length;
        if (flags & FLAG.PADDED) end -= payload[start++]!;
        if (flags & FLAG.PRIORITY) start += 5;
        this.pending = { streamId, parts: [payload.subarray(start, end)], endStream: (flags & FLAG.END_STREAM) !== 0 };
        if (flags & FLAG.END_HEADERS) this.endBlock();
        break;
      }
      case FRAME.CONTINUATION:
        if (this.pending === null || this.pending.streamId !== streamId) throw new Error('CONTINUATION out of place');
        this.pending.parts.push(payload);
        if (flags & FLAG.END_HEADERS) this.endBlock();
        break;
    }
  }

  private endBlock(): void {
    const { streamId, parts, endStream } = this.pending!;
    this.pending = null;
    const block: HeaderBlock = { streamId, block: Buffer.concat(parts), frames: parts.length, endStream };
    this.emit('block', block);
    if (endStream) this.emit('streamEnd', streamId);
  }
}

/** Listens on 127.0.0.1 on a free port; hands each connection to `onConnection`. */
export async function listenRawH2(onConnection: (conn: RawH2Connection) => void): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer((socket) => onConnection(new RawH2Connection(socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server };
}
