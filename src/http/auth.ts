// The admin token: `Authorization: Bearer <token>` on the admin routes when
// the API was started with one. Missing is 401 (with the challenge), wrong
// is 403. Tokens are compared as SHA-256 digests with timingSafeEqual, so
// neither the time taken nor a length check tells how much of a guess was
// right.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Call } from './context.js';
import { HttpError } from './errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function requireAdmin(call: Call): void {
  const token = call.ctx.adminToken;
  if (token === null) return;
  const header = call.req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new HttpError(401, 'UNAUTHORIZED', 'this admin call needs "Authorization: Bearer <token>"', {}, { 'WWW-Authenticate': 'Bearer realm="mqlab"' });
  }
  if (!timingSafeEqual(digest(match[1]!), digest(token))) {
    throw new HttpError(403, 'FORBIDDEN', 'the admin token is not valid');
  }
}
