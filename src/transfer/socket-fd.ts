// The descriptor the addon writes a socket's bytes to, for the transfer's
// send queue and the HTTP/2 endpoint's answers. Only a plain TCP socket's:
// a TLS socket's handle reports the TCP descriptor beneath it too, and
// bytes written there would go out unencrypted.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** The socket's descriptor; -1 once it is destroyed; null where its bytes must go through its stream (TLS, or no descriptor). */
export function plainSocketFd(socket: Socket): number | null {
  if (socket.destroyed) return -1;
  if (socket instanceof TLSSocket) return null;
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}
