// One HTTP/2 stream of a server connection: what the client sent arrives
// through its events (H2StreamEvents); what the server answers waits here until the
// client's flow-control windows let it out (connection.ts sends it).
import type { H2Connection } from './connection.js';
import type { ReceiveWindow } from './receive-window.js';

/** What a stream tells its owner: methods of one object, not a closure per event and stream. */
export interface H2StreamEvents {
  /** A DATA payload from the client (padding removed). */
  streamData(chunk: Buffer): void;
  /** The client ended its side. */
  streamEnd(): void;
  /** The stream is gone: `reset` is the RST_STREAM code when either side reset it or the connection went, null when it ended normally. */
  streamClosed(reset: number | null): void;
  /** The server's END_STREAM has been handed to the socket. */
  streamSent(): void;
}

export class H2Stream implements ReceiveWindow {
  /** What the client may still be sent on this stream (its SETTINGS_INITIAL_WINDOW_SIZE plus its WINDOW_UPDATEs, less what was sent). */
  sendWindow: number;
  /** What the client may still send on this stream before the server's next WINDOW_UPDATE. */
  recvWindow: number;
  /** Received bytes not yet given back to the client's window. */
  recvUnacked = 0;
  /** The client sent END_STREAM. */
  remoteEnded = false;
  /** The server queued its END_STREAM (trailers). */
  localEnded = false;
  closed = false;
  /** Its handler still runs: the stream counts against the concurrent-stream limit even once closed, until released. */
  held = false;
  /** DATA payload waiting for window, in order. */
  readonly pending: Buffer[] = [];
  pendingBytes = 0;
  /** The trailers' header block, sent once `pending` is out. */
  trailers: Buffer | null = null;

  /** Who hears what the client sends and how the stream ends (the gRPC call); until there is one, nobody. */
  events: H2StreamEvents | null = null;

  constructor(readonly connection: H2Connection, readonly id: number, sendWindow: number, recvWindow: number) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** The response's header block (no END_STREAM: trailers follow). */
  respond(block: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.connection.sendHeaders(this.id, block, false);
  }

  write(data: Buffer): void {
    if (this.closed || this.localEnded || data.length === 0) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.connection.queue(data.length);
    this.connection.ready(this);
  }

  /** Counts against the connection's concurrent-stream limit until release(), reset or not (a client resetting calls whose work goes on cannot run more at once than the limit). */
  hold(): void {
    this.held = true;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.closed) this.connection.heldClosed--;
  }

  /** Ends the server's side with this header block (trailers, or a whole trailers-only response). */
  end(block: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.localEnded = true;
    this.trailers = block;
    this.connection.ready(this);
  }

  /** RST_STREAM: the stream ends now, whatever was not sent is dropped. */
  reset(code: number): void {
    if (!this.closed) this.connection.resetStream(this, code);
  }
}
