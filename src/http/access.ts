// Who an HTTP request comes from, and whether it may do what it asks: the
// same users and the same authorizer as the Kafka listeners. Basic
// credentials are checked as a SASL PLAIN login is, against the user's SCRAM
// credentials; without any the request is User:ANONYMOUS. With an
// authorizer configured, a request the principal may not make is refused.
// `Authorization: Bearer <access key>:<secret>` (a user's access key, as
// RocketMQ clients use) names that key's user too; any other bearer is the
// admin token. Refused:
// 401 with a challenge when it came without credentials, 403 when it came
// with a user's. Checking a password costs a PBKDF2 (thousands of
// iterations), so a good one is remembered for a minute, keyed by a digest
// of user and password, and dropped as soon as the user's credential changes.
import { createHash } from 'node:crypto';
import { ANONYMOUS } from '../broker/network/session.js';
import { passwordMatches, SCRAM_MECHANISMS, type ScramCredential } from '../broker/security/scram.js';
import { CLUSTER, type Operation, type Resource } from '../server/handlers/access.js';
import { requireAdmin } from './auth.js';
import type { Call } from './context.js';
import { HttpError } from './errors.js';

const REMEMBER_MS = 60_000;
const REMEMBERED_MAX = 1000;
const remembered = new Map<string, { user: string; credential: ScramCredential; until: number }>();

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', message, {}, { 'WWW-Authenticate': 'Basic realm="mqlab", charset="UTF-8"' });
}

/** The request's principal: User:<name> for good Basic credentials, User:ANONYMOUS for none; bad ones are a 401. */
export function principalOf(call: Call): string {
  const header = call.req.headers.authorization;
  if (header === undefined) return ANONYMOUS;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) {
    // `<access key>:<secret>`: a user's token; anything else is the admin token's business (requireAdmin).
    const colon = bearer[1]!.indexOf(':');
    if (colon <= 0 || call.ctx.broker.security.accessKeys.size === 0) return ANONYMOUS;
    const user = call.ctx.broker.security.accessKeys.userOf(bearer[1]!.slice(0, colon), bearer[1]!.slice(colon + 1));
    // Not a key and its secret: perhaps the admin token (which may hold a colon); the admin routes judge it.
    return user === null ? ANONYMOUS : `User:${user}`;
  }
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) throw unauthorized('Authorization must be "Basic <base64 of user:password>" (or "Bearer <admin token>")');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw unauthorized('Basic credentials must be user:password');
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const credentials = call.ctx.broker.security.credentials;
  const key = createHash('sha256').update(JSON.stringify([user, password])).digest('base64');
  const known = remembered.get(key);
  const now = Date.now();
  if (known && known.user === user && known.until > now && credentials.get(user, known.credential.mechanism)?.storedKey.equals(known.credential.storedKey)) return `User:${user}`;
  remembered.delete(key);
  for (const mechanism of SCRAM_MECHANISMS) {
    const credential = credentials.get(user, mechanism);
    if (credential && passwordMatches(credential, password)) {
      if (remembered.size >= REMEMBERED_MAX) remembered.delete(remembered.keys().next().value!);
      remembered.set(key, { user, credential, until: now + REMEMBER_MS });
      return `User:${user}`;
    }
  }
  // An unknown user costs the same PBKDF2 as a wrong password (the store's decoy), so timing names no user.
  if (!SCRAM_MECHANISMS.some((m) => credentials.get(user, m))) credentials.verifyPassword(user, password);
  call.ctx.broker.security.audit.loginFailed('HTTP');
  throw unauthorized('invalid user name or password');
}

/**
 * Whether the request's principal may do `operation` on the resource (true
 * when no authorizer is configured); `listing`: only deciding what a list
 * shows, so a refusal is neither counted nor logged.
 */
export function allowed(call: Call, operation: Operation, resource: Resource, name: string, listing = false): boolean {
  const authorizer = call.ctx.broker.security.authorizer;
  if (!authorizer.enabled) return true;
  const host = (call.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return authorizer.authorize(principalOf(call), host, operation, resource, name, !listing);
}

/** Throws 401 (no credentials) or 403 (a user's) unless the request's principal may do it. */
export function requireAccess(call: Call, operation: Operation, resource: Resource, name: string): void {
  if (allowed(call, operation, resource, name)) return;
  const principal = principalOf(call);
  const what = `${operation} on ${resource.toLowerCase().replace('_', ' ')} ${name}`;
  if (principal === ANONYMOUS) throw unauthorized(`${what} needs a user with that permission: send Basic credentials`);
  throw new HttpError(403, 'FORBIDDEN', `${principal} may not ${what}`);
}

/**
 * An admin call: the admin token (Bearer) when one is sent, which stands
 * for a super user. Else, with an authorizer, the principal's ACLs on the
 * cluster, except that where the API has a token an anonymous caller needs
 * it (an ACL for everyone must not open what the token closes). Else the
 * token if the API has one (401 without it).
 */
export function requireAdminAccess(call: Call, operation: Operation): void {
  const header = call.req.headers.authorization ?? '';
  const hasToken = call.ctx.adminToken !== null;
  const adminBearer = /^Bearer\s/i.test(header) && principalOf(call) === ANONYMOUS;
  if (adminBearer || (hasToken && (!call.ctx.broker.security.authorizer.enabled || principalOf(call) === ANONYMOUS))) {
    requireAdmin(call);
    return;
  }
  requireAccess(call, operation, 'CLUSTER', CLUSTER);
}
