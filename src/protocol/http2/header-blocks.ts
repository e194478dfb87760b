// A request's header block as it arrives: one HEADERS frame (padding and
// priority fields taken off), then CONTINUATION frames until END_HEADERS,
// joined. Pieces that wait for later frames are copied (a read is not kept
// for them), and a block past the header list limit plus some slack, or in
// more than MAX_CONTINUATIONS pieces, is a flood: ENHANCE_YOUR_CALM.
import { ConnectionError, FLAG, H2_ERROR } from './frames.js';

const HEADER_BLOCK_SLACK = 16 * 1024;
const MAX_CONTINUATIONS = 64;

export interface HeaderBlock {
  streamId: number;
  /** The HEADERS frame's flags (END_STREAM). */
  flags: number;
  block: Buffer;
  /** Its PRIORITY fields name the stream itself: a stream error, once the block is decoded. */
  selfDependent: boolean;
}

export class HeaderBlocks {
  private open: { streamId: number; flags: number; parts: Buffer[]; bytes: number; selfDependent: boolean } | null = null;

  constructor(private readonly maxHeaderListBytes: number) {}

  /** A block is waiting for its CONTINUATION frames: no other frame may come. */
  get pending(): boolean {
    return this.open !== null;
  }

  /** A HEADERS frame: its whole block, or null while CONTINUATION frames must follow. */
  headers(flags: number, streamId: number, payload: Buffer): HeaderBlock | null {
    if (streamId === 0 || streamId % 2 === 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, `HEADERS on stream ${streamId}: clients open odd streams`);
    let start = 0;
    let end = payload.length;
    if ((flags & FLAG.PADDED) !== 0) {
      if (payload.length < 1) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'padded HEADERS without a pad length');
      end -= payload[0]!;
      start = 1;
    }
    let selfDependent = false;
    if ((flags & FLAG.PRIORITY) !== 0) {
      if (payload.length < start + 5) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'HEADERS with PRIORITY shorter than its priority fields');
      selfDependent = (payload.readUInt32BE(start) & 0x7fffffff) === streamId;
      start += 5;
    }
    if (end < start) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
    const fragment = payload.subarray(start, end);
    if ((flags & FLAG.END_HEADERS) !== 0) return { streamId, flags, block: fragment, selfDependent };
    this.open = { streamId, flags, parts: [Buffer.from(fragment)], bytes: fragment.length, selfDependent };
    return null;
  }

  /** A CONTINUATION frame: the whole block once END_HEADERS comes, else null. */
  continuation(flags: number, streamId: number, payload: Buffer): HeaderBlock | null {
    const b = this.open;
    if (b === null || b.streamId !== streamId) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'CONTINUATION without its HEADERS');
    b.parts.push(Buffer.from(payload));
    b.bytes += payload.length;
    if (b.bytes > this.maxHeaderListBytes + HEADER_BLOCK_SLACK) throw new ConnectionError(H2_ERROR.ENHANCE_YOUR_CALM, `a header block of more than ${b.bytes} bytes`);
    if (b.parts.length > MAX_CONTINUATIONS + 1) throw new ConnectionError(H2_ERROR.ENHANCE_YOUR_CALM, `a header block in more than ${MAX_CONTINUATIONS} CONTINUATION frames`);
    if ((flags & FLAG.END_HEADERS) === 0) return null;
    this.open = null;
    return { streamId, flags: b.flags, block: Buffer.concat(b.parts, b.bytes), selfDependent: b.selfDependent };
  }
}
