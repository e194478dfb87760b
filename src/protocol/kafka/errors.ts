// Errors of the Kafka codec. Two kinds, because the caller must react
// differently:
//   ProtocolError   bytes from the outside world do not parse: a client sent
//                   a malformed or truncated request (Kafka answers by closing
//                   the connection), or asked for an API or version we do not
//                   serve (UnsupportedVersionError, which ApiVersions answers).
//   EncodeError     a value we were asked to write does not fit the schema:
//                   a bug in the broker's own response, never the client's.
// Both carry the field path where they happened ("topics[0].name"). The path
// is collected while the error unwinds through the codec, so the happy path
// pays nothing for it.

export type ProtocolErrorCode =
  // The bytes end before the field does.
  | 'TRUNCATED'
  // The bytes are there but cannot be what the schema says (a negative
  // length, a null where null is not allowed, bytes left over).
  | 'MALFORMED'
  // An API key we do not know, or a version outside the advertised range.
  | 'UNSUPPORTED_VERSION';

/** Joins path segments: "topics", "[0]", "name" → "topics[0].name". */
function joinPath(segments: readonly string[]): string {
  let out = '';
  for (const s of segments) out += s.startsWith('[') || out === '' ? s : `.${s}`;
  return out;
}

abstract class CodecError extends Error {
  /** Field names and array indexes, from the message's top down. */
  readonly path: string[] = [];
  /** The message being read or written, e.g. "Produce v7". */
  private context = '';

  constructor(readonly detail: string) {
    super(detail);
  }

  /** Records that the failure happened inside `segment` (called innermost first). */
  within(segment: string): this {
    this.path.unshift(segment);
    this.refresh();
    return this;
  }

  /** Names the message being read or written; the outermost caller wins. */
  in(context: string): this {
    this.context = context;
    this.refresh();
    return this;
  }

  protected abstract lead(): string;

  protected refresh(): void {
    const context = this.context === '' ? '' : `${this.context} `;
    const where = this.path.length > 0 ? `field ${joinPath(this.path)} ` : '';
    this.message = `${this.lead()}: ${context}${where}${this.detail}`;
  }
}

export class ProtocolError extends CodecError {
  /** Whether the bytes were a request or a response, once the codec knows. */
  direction: 'request' | 'response' | 'input' = 'input';

  constructor(
    readonly code: ProtocolErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'ProtocolError';
    this.refresh();
  }

  static malformed(detail: string): ProtocolError {
    return new ProtocolError('MALFORMED', detail);
  }

  /** Sets what was being read: "truncated request: Produce v7 field …". */
  reading(direction: 'request' | 'response', context: string): this {
    this.direction = direction;
    return this.in(context);
  }

  protected lead(): string {
    if (this.code === 'TRUNCATED') return `truncated ${this.direction}`;
    if (this.code === 'MALFORMED') return `malformed ${this.direction}`;
    return 'unsupported request';
  }
}

/**
 * A request for an API key we do not serve, or a version outside the range we
 * advertise. Carries the header, so that the broker can still answer: Kafka
 * answers an ApiVersions request of too new a version with an ApiVersions v0
 * response holding UNSUPPORTED_VERSION and the versions it does support
 * (KIP-511), and closes the connection for any other API.
 */
export class UnsupportedVersionError extends ProtocolError {
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    readonly clientId: string | null,
    detail: string,
  ) {
    super('UNSUPPORTED_VERSION', detail);
    this.name = 'UnsupportedVersionError';
    this.direction = 'request';
  }
}

/** A value the broker asked us to write that the schema cannot carry: a bug. */
export class EncodeError extends CodecError {
  constructor(detail: string) {
    super(detail);
    this.name = 'EncodeError';
    this.refresh();
  }

  protected lead(): string {
    return 'cannot encode';
  }
}

/** Adds `segment` to the path of a codec error; returns any error unchanged otherwise. */
export function withinField(err: unknown, segment: string): unknown {
  if (err instanceof CodecError) err.within(segment);
  return err;
}
