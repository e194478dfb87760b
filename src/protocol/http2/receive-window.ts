// What a peer may still send us (RFC 9113 §6.9), for the connection and for
// each stream alike: DATA takes from the window, and what has been handled
// goes back to the peer in one WINDOW_UPDATE once half the window's size
// has, not one per frame.

export interface ReceiveWindow {
  /** What the peer may still send before our next WINDOW_UPDATE. */
  recvWindow: number;
  /** Received bytes not yet given back. */
  recvUnacked: number;
}

/** `bytes` of DATA arrived: false when they pass the window (a FLOW_CONTROL_ERROR). */
export function takeWindow(w: ReceiveWindow, bytes: number): boolean {
  w.recvWindow -= bytes;
  return w.recvWindow >= 0;
}

/** `bytes` handled: the WINDOW_UPDATE increment to send now (given back to the window), or 0 until half of `size` is owed. */
export function windowOwed(w: ReceiveWindow, bytes: number, size: number): number {
  w.recvUnacked += bytes;
  if (w.recvUnacked < size / 2) return 0;
  const increment = w.recvUnacked;
  w.recvWindow += increment;
  w.recvUnacked = 0;
  return increment;
}
