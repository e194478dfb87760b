// SASL login on SASL_PLAINTEXT and SASL_SSL listeners, as Kafka's
// SaslServerAuthenticator: SaslHandshake names the mechanism; after a v1
// handshake each token comes in a SaslAuthenticate request, after a v0 one
// (kafka-python 2.0) as a bare size-prefixed token. A failed login answers
// SASL_AUTHENTICATION_FAILED (nothing, for bare tokens) and closes the
// connection. An authenticated client may log in again on the same
// connection (KIP-368) before its session, connections.max.reauth.ms, ends.
import { isSasl, type SaslExchange, type Session } from '../../broker/network/session.js';
import { plainAuthenticate } from '../../broker/security/plain.js';
import { SaslAuthenticationError, ScramServer, type ScramMechanism } from '../../broker/security/scram.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { HandlerContext } from './context.js';
import { errorMessage } from './error-message.js';

/** The response, and the reason to close the connection after it when the login failed. */
export interface SaslAnswer<R> {
  body: R;
  closeAfter?: string;
}

function exchangeFor(ctx: HandlerContext, mechanism: string, raw: boolean): SaslExchange {
  if (mechanism === 'PLAIN') {
    let user = '';
    return {
      mechanism,
      raw,
      step(token) {
        if (user) throw new SaslAuthenticationError('PLAIN takes one message');
        user = plainAuthenticate(token, (u, p) => ctx.credentials.verifyPassword(u, p));
        return Buffer.alloc(0);
      },
      get complete() {
        return user !== '';
      },
      get user() {
        return user;
      },
    };
  }
  const scram = new ScramServer(mechanism as ScramMechanism, (u) => ctx.credentials.get(u, mechanism as ScramMechanism));
  return {
    mechanism,
    raw,
    step: (token) => scram.step(token),
    get complete() {
      return scram.complete;
    },
    get user() {
      return scram.user;
    },
  };
}

type HandshakeResponse = ResponseInput<typeof ApiKeys.SaslHandshake>;

export function saslHandshake(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.SaslHandshake>, session: Session, apiVersion: number): SaslAnswer<HandshakeResponse> {
  const mechanisms = [...session.listener.saslMechanisms];
  // A listener without SASL answers as Kafka's does, and keeps the connection.
  if (!isSasl(session.listener.protocol)) return { body: { errorCode: errorCode('ILLEGAL_SASL_STATE'), mechanisms: [] } };
  if (session.sasl) return { body: { errorCode: errorCode('ILLEGAL_SASL_STATE'), mechanisms }, closeAfter: 'SaslHandshake in the middle of a SASL exchange' };
  if (session.authenticated) {
    // KIP-368: only where sessions expire, with SaslHandshake v1, and with the mechanism of the first login.
    const why = session.listener.reauthMs === 0 ? 're-authentication is off on this listener (connections.max.reauth.ms=0)' : apiVersion === 0 ? 're-authentication needs SaslHandshake v1 (KIP-368)' : req.mechanism !== session.mechanism ? `re-authentication must use ${session.mechanism}, the mechanism of the first login` : null;
    if (why) return { body: { errorCode: errorCode('ILLEGAL_SASL_STATE'), mechanisms }, closeAfter: why };
  }
  if (!mechanisms.includes(req.mechanism)) {
    return { body: { errorCode: errorCode('UNSUPPORTED_SASL_MECHANISM'), mechanisms }, closeAfter: `SASL mechanism ${JSON.stringify(req.mechanism.slice(0, 64))} is not enabled on ${session.listener.name} (enabled: ${mechanisms.join(', ')})` };
  }
  session.sasl = exchangeFor(ctx, req.mechanism, apiVersion === 0);
  return { body: { errorCode: 0, mechanisms } };
}

type AuthenticateResponse = ResponseInput<typeof ApiKeys.SaslAuthenticate>;

export function saslAuthenticate(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.SaslAuthenticate>, session: Session): SaslAnswer<AuthenticateResponse> {
  const exchange = session.sasl;
  if (!isSasl(session.listener.protocol)) {
    return { body: { errorCode: errorCode('ILLEGAL_SASL_STATE'), errorMessage: `${session.listener.name} is a ${session.listener.protocol} listener: no SASL`, authBytes: Buffer.alloc(0) } };
  }
  if (!exchange || exchange.raw) {
    const why = exchange ? 'SaslAuthenticate after a v0 SaslHandshake (which sends bare tokens)' : 'SaslAuthenticate before SaslHandshake';
    return { body: { errorCode: errorCode('ILLEGAL_SASL_STATE'), errorMessage: why, authBytes: Buffer.alloc(0) }, closeAfter: why };
  }
  try {
    const authBytes = exchange.step(req.authBytes);
    let sessionLifetimeMs = 0n;
    if (exchange.complete) {
      const principal = `User:${exchange.user}`;
      if (session.authenticated && principal !== session.principal) {
        session.sasl = null;
        ctx.broker.security.audit.loginFailed(session.listener.protocol);
        const why = 'Cannot change principals during re-authentication';
        return { body: { errorCode: errorCode('SASL_AUTHENTICATION_FAILED'), errorMessage: why, authBytes: Buffer.alloc(0) }, closeAfter: why };
      }
      session.loggedIn(principal, ctx.now());
      sessionLifetimeMs = BigInt(session.listener.reauthMs);
    }
    return { body: { errorCode: 0, errorMessage: null, authBytes, sessionLifetimeMs } };
  } catch (err) {
    session.sasl = null;
    ctx.broker.security.audit.loginFailed(session.listener.protocol);
    const message = err instanceof SaslAuthenticationError ? err.message : 'Authentication failed';
    if (!(err instanceof SaslAuthenticationError)) ctx.log('error', `SASL ${exchange.mechanism}: ${(err as Error).stack ?? String(err)}`);
    return { body: { errorCode: errorCode('SASL_AUTHENTICATION_FAILED'), errorMessage: errorMessage(message), authBytes: Buffer.alloc(0) }, closeAfter: `SASL ${exchange.mechanism} login failed: ${message}` };
  }
}

/** A bare token after a v0 handshake: the mechanism's answer, bare too. A failure closes the connection unanswered, as Kafka does. */
export function saslRawToken(ctx: HandlerContext, session: Session, token: Buffer): Buffer {
  const exchange = session.sasl!;
  try {
    const answer = exchange.step(token);
    if (exchange.complete) session.loggedIn(`User:${exchange.user}`, ctx.now());
    return answer;
  } catch (err) {
    session.sasl = null;
    ctx.broker.security.audit.loginFailed(session.listener.protocol);
    const message = err instanceof SaslAuthenticationError ? err.message : 'Authentication failed';
    throw new SaslAuthenticationError(`SASL ${exchange.mechanism} login failed: ${message}`);
  }
}
