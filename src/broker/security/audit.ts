// What security refuses, told to the log without flooding it: a denial is
// logged the first time a principal is refused an operation on a resource,
// then at most once a minute for that same (principal, operation,
// resource), with how many were refused meanwhile (the authorizer counts
// every denial for /metrics). Failed logins are counted by where they
// happened.

const QUIET_MS = 60_000;
/** Distinct (principal, operation, resource) remembered for the rate limit; past it the memory starts afresh. */
const MAX_REMEMBERED = 10_000;

export class SecurityAudit {
  /** Failed logins (TLS handshakes, SASL, HTTP Basic, login timeouts) by where they happened. */
  readonly failedLogins = new Map<string, number>();
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  denied(principal: string, host: string, operation: string, resourceType: string, resourceName: string): void {
    const key = `${principal}\0${operation}\0${resourceType}\0${resourceName}`;
    const seen = this.lastLogged.get(key);
    const now = this.now();
    if (seen && now - seen.at < QUIET_MS) {
      seen.suppressed++;
      return;
    }
    if (this.lastLogged.size >= MAX_REMEMBERED) this.lastLogged.clear();
    const more = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more times since the last report)` : '';
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.log(`authorization: denied ${quoted(principal)} from ${quoted(host)}: ${operation} on ${resourceType} ${quoted(resourceName)}${more}`);
  }

  loginFailed(where: string): void {
    this.failedLogins.set(where, (this.failedLogins.get(where) ?? 0) + 1);
  }
}

/** Names come from clients: quoted (no line breaks or quotes of their own reach the log) and cut. */
function quoted(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}
