// The broker's settings answer, sent again while a client starts up.
//
// rocketmq-client-nodejs 1.0.8 (BaseClient's startup) fetches the route of
// each of its topics in turn and opens its Telemetry stream, sending its
// settings, after the first; only when every route is in does it begin to
// wait for a settings command. An answer that arrives while it still
// fetches routes is dropped, and it waits for the next one, which comes
// when it syncs its settings again five minutes later: with four topics,
// every startup against this broker did. So for the first seconds of a
// client's Telemetry stream the broker sends its last answer again 50 ms
// and 1 s after the client's latest QueryRoute or settings: once the routes
// are in, one of them finds the client waiting. A client already running
// takes it as the settings sync it is (idempotent).
import type { ServerCall } from '../grpc/call.js';

const AFTER_MS = [50, 1_000];
/** How long after a client's first settings its QueryRoutes still count as its startup. */
const STARTUP_WINDOW_MS = 30_000;

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;
type Stream = ServerCall;

interface Starting {
  call: Stream;
  answer: Pb;
  since: number;
  timers: NodeJS.Timeout[];
}

export class SettingsEcho {
  private readonly clients = new Map<string, Starting>();

  /** The broker answered a client's settings on its stream. */
  answered(clientId: string | null, call: Stream, answer: Pb): void {
    if (clientId === null) return;
    const prior = this.clients.get(clientId);
    const since = prior?.call === call ? prior.since : Date.now();
    if (prior) this.cancel(prior);
    const s: Starting = { call, answer, since, timers: [] };
    this.clients.set(clientId, s);
    this.schedule(s);
  }

  /** A client asked for a route: it may still be starting. */
  routeQueried(clientId: string | null): void {
    const s = clientId === null ? undefined : this.clients.get(clientId);
    if (s && Date.now() - s.since <= STARTUP_WINDOW_MS) this.schedule(s);
  }

  /** The stream ended (a client is known while its stream is open). */
  closed(call: Stream): void {
    for (const [id, s] of this.clients) {
      if (s.call !== call) continue;
      this.cancel(s);
      this.clients.delete(id);
    }
  }

  clear(): void {
    for (const s of this.clients.values()) this.cancel(s);
    this.clients.clear();
  }

  private schedule(s: Starting): void {
    this.cancel(s);
    s.timers = AFTER_MS.map((ms) => {
      const t = setTimeout(() => {
        if (!s.call.cancelled && !s.call.writableEnded) s.call.write(s.answer);
      }, ms);
      t.unref();
      return t;
    });
  }

  private cancel(s: Starting): void {
    for (const t of s.timers) clearTimeout(t);
    s.timers = [];
  }
}
