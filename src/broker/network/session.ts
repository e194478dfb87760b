// Who is on the other end of a connection, and how far its login has got.
// A connection starts authenticated on PLAINTEXT listeners, once its TLS
// handshake is done on SSL ones (a client certificate's subject is then
// the principal), and only after a SASL login on SASL_PLAINTEXT and
// SASL_SSL ones: until then it may send ApiVersions, SaslHandshake and
// SaslAuthenticate and nothing else.

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const ANONYMOUS = 'User:ANONYMOUS';

/** A listener as the broker serves it: its name, protocol and the address clients are told. */
export interface ListenerInfo {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  readonly host: string;
  port: number;
  /** SASL mechanisms enabled (SASL_* listeners). */
  readonly saslMechanisms: readonly string[];
  /** connections.max.reauth.ms: a SASL session's lifetime, 0 for none (KIP-368). */
  readonly reauthMs: number;
}

/** One SASL exchange in progress: a mechanism's server side. */
export interface SaslExchange {
  readonly mechanism: string;
  /** Bare tokens (after a v0 SaslHandshake) rather than SaslAuthenticate requests. */
  readonly raw: boolean;
  /** The answer to one client token; throws with a message safe to show the client when the login fails. */
  step(token: Buffer): Buffer;
  readonly complete: boolean;
  /** The user, once complete. */
  readonly user: string;
}

export function isSasl(p: SecurityProtocol): boolean {
  return p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
}

export function isTls(p: SecurityProtocol): boolean {
  return p === 'SSL' || p === 'SASL_SSL';
}

export class Session {
  principal = ANONYMOUS;
  /** May send requests beyond the login ones. */
  authenticated: boolean;
  /** The SASL exchange under way (after SaslHandshake, until it completes or fails). */
  sasl: SaslExchange | null = null;
  /** When the SASL session ends (connections.max.reauth.ms), or null. */
  expiresAtMs: number | null = null;
  /** The mechanism of the first SASL login: a re-authentication must use it again (KIP-368). */
  mechanism: string | null = null;
  /** Called once the connection may send every request (stops the login timer). */
  onAuthenticated: () => void = () => undefined;

  constructor(readonly listener: ListenerInfo) {
    this.authenticated = listener.protocol === 'PLAINTEXT';
  }

  /** The next frame is a bare SASL token, not a request. */
  get expectsRawToken(): boolean {
    return this.sasl?.raw === true;
  }

  /** A login (first or re-authentication) is done. */
  loggedIn(principal: string, nowMs: number): void {
    this.mechanism ??= this.sasl?.mechanism ?? null;
    this.principal = principal;
    this.sasl = null;
    this.expiresAtMs = this.listener.reauthMs > 0 ? nowMs + this.listener.reauthMs : null;
    if (!this.authenticated) {
      this.authenticated = true;
      this.onAuthenticated();
    }
  }

  /** SSL listeners: the handshake is the login. */
  tlsDone(principal: string): void {
    this.principal = principal;
    if (!isSasl(this.listener.protocol)) {
      this.authenticated = true;
      this.onAuthenticated();
    }
  }
}
