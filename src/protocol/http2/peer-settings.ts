// The client's SETTINGS frame (RFC 9113 §6.5): checked and read into what
// the connection applies, in the frame's order. An ACK carries nothing.
import { ConnectionError, DEFAULT_MAX_FRAME, FLAG, H2_ERROR, MAX_FRAME_LIMIT, MAX_WINDOW, SETTING } from './frames.js';

export interface PeerSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE values in the order sent (each changes every stream's window by its difference). */
  initialWindows: number[];
  /** SETTINGS_MAX_FRAME_SIZE, the last sent, or null. */
  maxFrame: number | null;
  /** SETTINGS_HEADER_TABLE_SIZE was sent: nghttp2 expects the table size update a smaller table calls for. */
  headerTable: boolean;
}

/** The settings a SETTINGS frame carries; null for an ACK. Throws the ConnectionError the frame calls for. */
export function readPeerSettings(flags: number, streamId: number, payload: Buffer): PeerSettings | null {
  if (streamId !== 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'SETTINGS on a stream');
  if ((flags & FLAG.ACK) !== 0) {
    if (payload.length !== 0) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'a SETTINGS ACK carries nothing');
    return null;
  }
  if (payload.length % 6 !== 0) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'SETTINGS is a multiple of 6 bytes');
  const out: PeerSettings = { initialWindows: [], maxFrame: null, headerTable: false };
  for (let at = 0; at < payload.length; at += 6) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    if (id === SETTING.ENABLE_PUSH && value > 1) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH is 0 or 1');
    if (id === SETTING.INITIAL_WINDOW_SIZE) {
      if (value > MAX_WINDOW) throw new ConnectionError(H2_ERROR.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1');
      out.initialWindows.push(value);
    }
    if (id === SETTING.MAX_FRAME_SIZE) {
      if (value < DEFAULT_MAX_FRAME || value > MAX_FRAME_LIMIT) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value}`);
      out.maxFrame = value;
    }
    if (id === SETTING.HEADER_TABLE_SIZE) out.headerTable = true;
  }
  return out;
}
