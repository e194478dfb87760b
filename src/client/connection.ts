// One connection to a Kafka broker: typed requests out, responses matched
// by correlation id, many in flight at once (Kafka answers in order on a
// connection, so a FIFO of pending requests is enough). Used by the CLI,
// the load generator and the benchmarks; kafkajs stays a test-only check.
import { once } from 'node:events';
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { FrameDecoder, MIN_RESPONSE_FRAME_BYTES } from '../protocol/kafka/frame-decoder.js';
import { MAX_RESPONSE_BYTES } from './response-frames.js';
import { PLAINTEXT, saslClient, type ClientSecurity } from './security.js';
import { bytesOf, decodeResponse, encodeRequest, errorName, type ApiKey, type RequestInput, type ResponseBody } from '../protocol/kafka/index.js';

interface Pending {
  apiKey: ApiKey;
  apiVersion: number;
  correlationId: number;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

export class KafkaConnection {
  private readonly pending: Pending[] = [];
  private readonly decoder = new FrameDecoder(MAX_RESPONSE_BYTES, MIN_RESPONSE_FRAME_BYTES);
  private nextCorrelationId = 1;
  private error: Error | null = null;
  /** close() was called: requests still waiting end for that reason, not the broker's. */
  private closing = false;

  private constructor(private readonly socket: Socket, readonly clientId: string) {
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error(this.closing ? 'connection closed by this client before the answer came' : 'connection closed by the broker')));
  }

  /** Connects, with TLS and a SASL login first where `security` asks for them. */
  static async open(host: string, port: number, clientId = 'mqlab', security: ClientSecurity = PLAINTEXT): Promise<KafkaConnection> {
    let socket: Socket;
    if (security.protocol === 'SSL' || security.protocol === 'SASL_SSL') {
      socket = tlsConnect({
        host,
        port,
        ca: security.ca,
        cert: security.cert,
        key: security.key,
        servername: isIP(host) ? undefined : host,
        // An explicit undefined would replace Node's own check (and trips an internal assertion).
        ...(security.checkHostName === false ? { checkServerIdentity: () => undefined } : {}),
      });
      await once(socket, 'secureConnect');
    } else {
      socket = connect(port, host);
      await once(socket, 'connect');
    }
    const conn = new KafkaConnection(socket, clientId);
    if (security.sasl) {
      try {
        await conn.login(security.sasl);
      } catch (err) {
        conn.close();
        throw err;
      }
    }
    return conn;
  }

  /** SaslHandshake v1, then SaslAuthenticate until the mechanism is done (KIP-152). */
  private async login(sasl: NonNullable<ClientSecurity['sasl']>): Promise<void> {
    const hs = await this.request(17, 1, { mechanism: sasl.mechanism });
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake ${sasl.mechanism}: ${errorName(hs.errorCode)} (the listener offers ${hs.mechanisms.join(', ') || 'no SASL'})`);
    const client = saslClient(sasl);
    let out: Buffer | null = client.first();
    while (out) {
      const r = await this.request(36, 1, { authBytes: out });
      if (r.errorCode !== 0) throw new Error(`SASL ${sasl.mechanism} login as ${sasl.username} failed: ${r.errorMessage ?? errorName(r.errorCode)}`);
      out = client.next(r.authBytes);
    }
  }

  /** Sends a request and resolves with its decoded response. */
  async request<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInput<K>): Promise<ResponseBody<K>> {
    const frame = await this.send(apiKey, apiVersion, body, true);
    return decodeResponse(apiKey, apiVersion, frame!).body;
  }

  /**
   * Sends a request; resolves with the raw response frame (or null when
   * none is expected: produce with acks=0). The write is queued at once,
   * so calls without awaiting are pipelined in call order.
   */
  send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInput<K>, expectResponse = true): Promise<Buffer | null> {
    if (this.error) return Promise.reject(this.error);
    const correlationId = this.nextCorrelationId++;
    const encoded = bytesOf(encodeRequest(apiKey, apiVersion, correlationId, this.clientId, body));
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(encoded.length, 0);
    this.socket.write(size);
    this.socket.write(encoded);
    if (!expectResponse) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.pending.push({ apiKey, apiVersion, correlationId, resolve, reject }));
  }

  /** Sends pre-encoded request bytes (size prefix included): the load generator's path. */
  sendRaw(frame: Buffer, correlationId: number, apiKey: ApiKey, apiVersion: number): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    this.socket.write(frame);
    return new Promise((resolve, reject) => this.pending.push({ apiKey, apiVersion, correlationId, resolve, reject }));
  }

  /** A correlation id for a request encoded by the caller. */
  takeCorrelationId(): number {
    return this.nextCorrelationId++;
  }

  /** Bytes queued in the socket but not yet written (for backpressure). */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onData(b: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(b);
    } catch (err) {
      return this.fail(err as Error);
    }
    for (const frame of frames) {
      const p = this.pending.shift();
      if (!p) return this.fail(new Error('a response arrived with no request waiting'));
      const id = frame.readInt32BE(0);
      if (id !== p.correlationId) return this.fail(new Error(`response for correlation id ${id}, expected ${p.correlationId}`));
      p.resolve(frame);
    }
  }

  private fail(err: Error): void {
    if (!this.error) this.error = err;
    for (const p of this.pending.splice(0)) p.reject(err);
    this.socket.destroy();
  }
}

/** "host:port" (the first of a comma-separated list). */
export function parseBootstrap(servers: string): { host: string; port: number } {
  const first = servers.split(',')[0]!.trim();
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(first);
  if (!m) throw new Error(`bootstrap server must be host:port, got "${first}"`);
  return { host: m[1]!, port: Number(m[2]) };
}
