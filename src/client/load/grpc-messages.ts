// gRPC messages (a flag byte, a 32-bit length, the bytes) cut from the DATA
// of an answer as its pieces arrive. A message within one piece is handed
// on as a view of it, valid for as long as the piece is (a piece of a
// socket read the connection reuses: only during the callback); one split
// across pieces is joined into a buffer of its own, so nothing of an
// answer needs keeping once it has been read.

const PREFIX_BYTES = 5;

export class GrpcMessageReader {
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixHave = 0;
  /** The message being joined across pieces, and how much of it has come. */
  private joining: Buffer | null = null;
  private joined = 0;

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(piece: Buffer): void {
    let at = 0;
    while (at < piece.length) {
      if (this.joining !== null) {
        const n = piece.copy(this.joining, this.joined, at, Math.min(piece.length, at + this.joining.length - this.joined));
        this.joined += n;
        at += n;
        if (this.joined < this.joining.length) return;
        const whole = this.joining;
        this.joining = null;
        this.onMessage(whole);
        continue;
      }
      let length: number;
      if (this.prefixHave === 0 && piece.length - at >= PREFIX_BYTES) {
        checkFlag(piece[at]!);
        length = piece.readUInt32BE(at + 1);
        at += PREFIX_BYTES;
      } else {
        const n = piece.copy(this.prefix, this.prefixHave, at, Math.min(piece.length, at + PREFIX_BYTES - this.prefixHave));
        this.prefixHave += n;
        at += n;
        if (this.prefixHave < PREFIX_BYTES) return;
        this.prefixHave = 0;
        checkFlag(this.prefix[0]!);
        length = this.prefix.readUInt32BE(1);
      }
      if (piece.length - at >= length) {
        this.onMessage(piece.subarray(at, at + length));
        at += length;
      } else {
        this.joining = Buffer.allocUnsafe(length);
        this.joined = 0;
      }
    }
  }

  /** The answer is over: a message or prefix begun and not finished is an error. */
  end(): void {
    const left = this.prefixHave + (this.joining === null ? 0 : PREFIX_BYTES + this.joined);
    if (left > 0) throw new Error(`a truncated gRPC message (${left} bytes left over)`);
  }
}

function checkFlag(flag: number): void {
  if (flag !== 0) throw new Error('a compressed gRPC message: none was asked for');
}

/** The gRPC messages of an answer's DATA, in the pieces it came in (pieces that stay as they are). */
export function unframe(pieces: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  const reader = new GrpcMessageReader((m) => out.push(m));
  for (const p of pieces) reader.push(p);
  reader.end();
  return out;
}
