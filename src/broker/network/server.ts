// The broker's listeners: each accepts connections (up to the limit, which
// all listeners share) and hands each to a Connection with a Session for
// its security protocol. On SSL and SASL_SSL listeners the TLS handshake
// runs on the accepted socket, so a connection counts against the limit
// (and its login timer runs) from its first byte, not from a finished
// handshake.
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { TransferStrategy } from '../../transfer/types.js';
import { streamSend } from '../../transfer/stream-send.js';
import { Connection, type NetLog, type RequestHandler } from './connection.js';
import { checkLimits, DEFAULT_NETWORK_LIMITS, type NetworkLimits } from './limits.js';
import { QueueBudget } from './queue-budget.js';
import { ANONYMOUS, Session, type ListenerInfo } from './session.js';

export interface NetworkListener extends ListenerInfo {
  tls: { options: SecureContextOptions; clientAuth: 'none' | 'requested' | 'required' } | null;
  handler: RequestHandler;
}

export interface KafkaServerOptions {
  /** The one PLAINTEXT listener when `listeners` is not given. */
  host?: string;
  port?: number;
  handler?: RequestHandler;
  listeners?: NetworkListener[];
  limits?: Partial<NetworkLimits>;
  transfer: TransferStrategy;
  log?: NetLog;
  /** A client certificate's principal (server layer: Kafka's rules). */
  certificatePrincipal?: (subject: string) => string;
  /** Hears each connection closed for a failed or unfinished TLS handshake or login, by listener protocol. */
  onLoginFailed?: (where: string) => void;
}

/** TLS connections send through the socket's stream: see stream-send.ts. */
const STREAM_SENDER = { send: streamSend };

export class KafkaServer {
  private readonly servers: { listener: NetworkListener; server: Server }[];
  private readonly connections = new Map<number, Connection>();
  /** TLS sockets whose handshake is under way, by remote address: they count against maxConnections. */
  private readonly handshaking = new Map<string, { raw: Socket; deadline: number; timer: NodeJS.Timeout }>();
  private readonly tlsServers = new Map<NetworkListener, TlsServer>();
  private readonly limits: NetworkLimits;
  private readonly budget: QueueBudget;
  private readonly responseBudget: QueueBudget;
  private readonly log: NetLog;
  private nextId = 1;
  refusedConnections = 0;
  /** Connections closed because their TLS handshake or login failed or took too long. */
  failedLogins = 0;

  private countFailedLogin(listener: NetworkListener): void {
    this.failedLogins++;
    this.options.onLoginFailed?.(listener.protocol);
  }

  constructor(private readonly options: KafkaServerOptions) {
    this.limits = checkLimits({ ...DEFAULT_NETWORK_LIMITS, ...options.limits });
    this.budget = new QueueBudget(this.limits.maxQueuedBytes);
    this.responseBudget = new QueueBudget(this.limits.maxUnsentMemoryBytes);
    this.log = options.log ?? (() => undefined);
    const listeners = options.listeners ?? [
      { name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: options.host ?? '127.0.0.1', port: options.port ?? 9092, saslMechanisms: [], reauthMs: 0, tls: null, handler: options.handler! },
    ];
    if (listeners.length === 0) throw new Error('a broker needs at least one listener');
    this.servers = listeners.map((listener) => ({ listener, server: createServer((socket) => this.accept(listener, socket)) }));
  }

  /** Opens every listener; the first one's address (each listener's actual port is set on it). */
  async listen(): Promise<{ host: string; port: number }> {
    try {
      for (const { listener, server } of this.servers) {
        server.listen({ port: listener.port, host: listener.host, backlog: this.limits.listenBacklog });
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(new Error(`listener ${listener.name} on ${listener.host}:${listener.port}: ${(err as Error).message}`)))]);
        listener.port = (server.address() as { port: number }).port;
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    const first = this.servers[0]!.server.address() as { address: string; port: number };
    return { host: first.address, port: first.port };
  }

  get listeners(): readonly NetworkListener[] {
    return this.servers.map((s) => s.listener);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get queuedBytes(): number {
    return this.budget.usedBytes;
  }

  /** In-memory response bytes not yet sent, across connections. */
  get unsentMemoryBytes(): number {
    return this.responseBudget.usedBytes;
  }

  /** The most response bytes (memory and file regions) any one connection has not yet sent. */
  get maxUnsentBytes(): number {
    let most = 0;
    for (const c of this.connections.values()) most = Math.max(most, c.unsentBytes);
    return most;
  }

  private accept(listener: NetworkListener, raw: Socket): void {
    if (this.connections.size + this.handshaking.size >= this.limits.maxConnections) {
      this.refusedConnections++;
      this.log('warn', `refusing connection from ${raw.remoteAddress} on ${listener.name}: ${this.limits.maxConnections} connections open`);
      raw.destroy();
      return;
    }
    const deadline = Date.now() + this.limits.authenticationTimeoutMs;
    if (!listener.tls) {
      this.open(listener, raw, new Session(listener), deadline);
      return;
    }
    // The TLS server wraps the socket and hands it back once the handshake is done (secureConnection).
    // No Nagle: a TLS socket cannot set it on the socket it wraps.
    raw.setNoDelay(true);
    const key = `${raw.remoteAddress}:${raw.remotePort}`;
    const timer = setTimeout(() => {
      this.countFailedLogin(listener);
      this.log('warn', `closing connection from ${key} on ${listener.name}: no TLS handshake within mqlab.authentication.timeout.ms (${this.limits.authenticationTimeoutMs} ms)`);
      raw.destroy();
    }, this.limits.authenticationTimeoutMs);
    timer.unref();
    this.handshaking.set(key, { raw, deadline, timer });
    raw.once('close', () => {
      clearTimeout(timer);
      this.handshaking.delete(key);
    });
    this.tlsServerOf(listener).emit('connection', raw);
  }

  /** One tls.Server per TLS listener, never listening itself: it runs the handshakes of the sockets this server accepts. */
  private tlsServerOf(listener: NetworkListener): TlsServer {
    let server = this.tlsServers.get(listener);
    if (server) return server;
    const tls = listener.tls!;
    // Certificates are judged below, not by OpenSSL, so that each refusal is counted and logged.
    server = createTlsServer({ ...tls.options, requestCert: tls.clientAuth !== 'none', rejectUnauthorized: false });
    server.on('secureConnection', (t: TLSSocket) => {
      const key = `${t.remoteAddress}:${t.remotePort}`;
      const pending = this.handshaking.get(key);
      if (!pending) return void t.destroy();
      clearTimeout(pending.timer);
      this.handshaking.delete(key);
      const peer = t.getPeerX509Certificate();
      // "requested": a client may send no certificate, but one it sends must be trusted.
      const refused = peer ? (t.authorized ? null : `client certificate not trusted (${String(t.authorizationError)})`) : tls.clientAuth === 'required' ? 'no client certificate (ssl.client.auth=required)' : null;
      if (refused) {
        this.countFailedLogin(listener);
        this.log('warn', `closing connection from ${key} on ${listener.name}: ${refused}`);
        t.destroy();
        return;
      }
      const session = new Session(listener);
      session.tlsDone(peer ? this.principalOf(peer) : ANONYMOUS);
      this.open(listener, t, session, pending.deadline);
    });
    server.on('tlsClientError', (err: Error, t: TLSSocket) => {
      this.countFailedLogin(listener);
      this.log('warn', `TLS handshake with ${t.remoteAddress}:${t.remotePort} on ${listener.name} failed: ${err.message}`);
    });
    this.tlsServers.set(listener, server);
    return server;
  }

  /** A connection that may send requests (after its TLS handshake, if any); a login must still finish by `deadline`. */
  private open(listener: NetworkListener, socket: Socket, session: Session, deadline: number): void {
    const id = this.nextId++;
    const c = new Connection(id, socket, listener.handler, listener.tls ? STREAM_SENDER : this.options.transfer, this.limits, this.budget, this.responseBudget, this.log, session);
    this.connections.set(id, c);
    socket.once('close', () => this.connections.delete(id));
    if (session.authenticated) return;
    const timer = setTimeout(() => this.loginFailed(id, listener, `no login within mqlab.authentication.timeout.ms (${this.limits.authenticationTimeoutMs} ms)`), Math.max(0, deadline - Date.now()));
    timer.unref();
    session.onAuthenticated = () => clearTimeout(timer);
    socket.once('close', () => clearTimeout(timer));
  }

  private principalOf(cert: X509Certificate): string {
    return this.options.certificatePrincipal ? this.options.certificatePrincipal(cert.subject) : ANONYMOUS;
  }

  /** Closes a connection whose login did not finish in time. */
  private loginFailed(id: number, listener: NetworkListener, reason: string): void {
    const c = this.connections.get(id);
    if (!c) return;
    this.countFailedLogin(listener);
    c.close(reason);
  }

  async close(): Promise<void> {
    const closed = this.servers.map(({ server }) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())));
    for (const c of this.connections.values()) c.close();
    for (const { raw, timer } of this.handshaking.values()) {
      clearTimeout(timer);
      raw.destroy();
    }
    await Promise.all(closed);
  }
}
