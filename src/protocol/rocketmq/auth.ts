// Who a RocketMQ call comes from: RocketMQ 5's clients sign every call
// (gRPC metadata `authorization: MQv2-HMAC-SHA1 Credential=<access key>,
// SignedHeaders=x-mq-date-time, Signature=<hex HMAC-SHA1 of x-mq-date-time
// under the key's secret>`). A good signature makes the call its key's
// user's; none makes it User:ANONYMOUS; a bad one, an unknown key or a date
// more than 15 minutes from the broker's clock (a replayed header) is
// refused with UNAUTHORIZED whatever the authorizer would say. A broker
// with no access keys and no authorizer reads no signature at all, as
// RocketMQ's proxy without ACLs: clients that always sign still work.
import type { ServerCall } from '../grpc/call.js';
import { ANONYMOUS } from '../../broker/network/session.js';
import type { Broker } from '../../broker/broker.js';
import type { AclOperation } from '../../broker/security/acls.js';

/** How far a signed x-mq-date-time may be from the broker's clock. */
export const SIGNATURE_SKEW_MS = 15 * 60 * 1000;

/** UNAUTHORIZED: no acceptable credentials; FORBIDDEN: a known user the ACLs refuse (HTTP's 401 and 403). */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly code: 'UNAUTHORIZED' | 'FORBIDDEN' = 'UNAUTHORIZED',
  ) {
    super(message);
  }
}

const HEADER = /^MQv2-HMAC-SHA1\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9A-Fa-f]+)\s*$/;

/** 20210309T195445Z, as the clients write it (UTC). */
function parseDateTime(v: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/** The call's principal; throws AuthError for a signature that does not hold. Checked once per call. */
export function principalOf(broker: Broker, call: Pick<ServerCall, 'metadata'> & { principal?: string }, now?: number): string {
  // A broker with no access keys and no authorizer reads no signature: every call is anonymous.
  if (!broker.security.authorizer.enabled && broker.security.accessKeys.size === 0) return ANONYMOUS;
  const seen = call.principal;
  if (seen !== undefined) return seen;
  const header = call.metadata.get('authorization')[0];
  let principal = ANONYMOUS;
  if (header !== undefined) {
    const m = HEADER.exec(String(header));
    if (!m) throw new AuthError('the authorization header is not "MQv2-HMAC-SHA1 Credential=…, SignedHeaders=x-mq-date-time, Signature=…"');
    if (m[2]!.toLowerCase() !== 'x-mq-date-time') throw new AuthError(`signed headers ${m[2]}: only x-mq-date-time is signed`);
    const dateTime = String(call.metadata.get('x-mq-date-time')[0] ?? '');
    const at = parseDateTime(dateTime);
    if (at === null) throw new AuthError('x-mq-date-time is missing or not yyyyMMddTHHmmssZ');
    // The clock read only here: most brokers check no signature, and read it on every call.
    if (Math.abs((now ?? Date.now()) - at) > SIGNATURE_SKEW_MS) throw new AuthError(`x-mq-date-time ${dateTime} is more than ${SIGNATURE_SKEW_MS / 60_000} minutes from the broker's clock: signatures do not last`);
    const user = broker.security.accessKeys.verify(m[1]!, dateTime, m[3]!);
    if (user === null) {
      broker.security.audit.loginFailed('ROCKETMQ');
      throw new AuthError('the signature does not match the access key (or the key is unknown)');
    }
    principal = `User:${user}`;
  }
  call.principal = principal;
  return principal;
}

/**
 * Asks the broker's authorizer, as the Kafka listeners and the HTTP API do,
 * for the call's principal. Refused: UNAUTHORIZED for an unsigned call,
 * FORBIDDEN for a key's user.
 */
export function requireAccess(broker: Broker, call: Pick<ServerCall, 'metadata' | 'getPeer'>, operation: AclOperation, resourceType: 'TOPIC' | 'GROUP', name: string): void {
  const authorizer = broker.security.authorizer;
  if (!authorizer.enabled) return;
  const principal = principalOf(broker, call);
  const host = call.getPeer().replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (authorizer.authorize(principal, host, operation, resourceType, name)) return;
  if (principal === ANONYMOUS) {
    throw new AuthError(`${principal} may not ${operation} on ${resourceType.toLowerCase()} ${name}: an unsigned call is User:ANONYMOUS; sign with an access key (sessionCredentials) of a user the ACLs allow`);
  }
  throw new AuthError(`${principal} may not ${operation} on ${resourceType.toLowerCase()} ${name}`, 'FORBIDDEN');
}
