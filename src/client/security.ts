// How mqlab's own client (the CLI, the lab) reaches a listener that wants
// TLS, SASL or both, configured as Kafka's clients are: a properties file
// (--command-config, as Kafka's tools take it) with security.protocol,
// sasl.mechanism, sasl.jaas.config (or sasl.username / sasl.password), and
// ssl.truststore.location (PEM) or ssl.ca.location (librdkafka's name).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type ClientSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type ClientSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ClientSecurity {
  protocol: ClientSecurityProtocol;
  /** CA certificates (PEM) the broker's certificate must chain to; the system's when absent. */
  ca?: string;
  /** A client certificate and its key (PEM), for ssl.client.auth listeners. */
  cert?: string;
  key?: string;
  /** Check the certificate's host name (ssl.endpoint.identification.algorithm=https, Kafka's default). */
  checkHostName?: boolean;
  sasl?: { mechanism: ClientSaslMechanism; username: string; password: string };
}

export const PLAINTEXT: ClientSecurity = { protocol: 'PLAINTEXT' };

const PROTOCOLS: readonly ClientSecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly ClientSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** From Kafka client properties; errors name the property, never a password. */
export function securityFromProperties(props: Record<string, string>): ClientSecurity {
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').toUpperCase() as ClientSecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) throw new Error(`security.protocol=${props['security.protocol']}: expected one of ${PROTOCOLS.join(', ')}`);
  const s: ClientSecurity = { protocol };
  const read = (name: string): string => {
    try {
      return readFileSync(props[name]!, 'utf8');
    } catch (err) {
      throw new Error(`${name}=${props[name]} cannot be read: ${(err as Error).message}`);
    }
  };
  for (const name of ['ssl.truststore.location', 'ssl.ca.location']) if (props[name]) s.ca = read(name);
  if (props['ssl.keystore.location']) {
    const pem = read('ssl.keystore.location');
    s.cert = pem;
    s.key = pem;
  }
  if (props['ssl.certificate.location']) s.cert = read('ssl.certificate.location');
  if (props['ssl.key.location']) s.key = read('ssl.key.location');
  s.checkHostName = (props['ssl.endpoint.identification.algorithm'] ?? 'https') !== '';
  if (protocol.startsWith('SASL_')) {
    const mechanism = (props['sasl.mechanism'] ?? props['sasl.mechanisms'] ?? 'PLAIN') as ClientSaslMechanism;
    if (!MECHANISMS.includes(mechanism)) throw new Error(`sasl.mechanism=${mechanism}: expected one of ${MECHANISMS.join(', ')}`);
    const jaas = props['sasl.jaas.config'] ? parseJaas(props['sasl.jaas.config']) : {};
    const username = props['sasl.username'] ?? jaas.username;
    const password = props['sasl.password'] ?? jaas.password;
    if (username === undefined || password === undefined) throw new Error('SASL needs a user name and password: sasl.jaas.config=... username="..." password="..."; (or sasl.username and sasl.password)');
    s.sasl = { mechanism, username, password };
  }
  return s;
}

/** username="..." password="..." out of a JAAS line (the login module's name is not checked). */
function parseJaas(text: string): { username?: string; password?: string } {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return { username: out.username, password: out.password };
}

/** One SASL exchange, client side: the first message, then an answer to each server message until done. */
export interface SaslClient {
  first(): Buffer;
  /** The next message for the server's, or null when the exchange is over. Throws when the server cannot be trusted. */
  next(server: Buffer): Buffer | null;
}

export function saslClient(sasl: NonNullable<ClientSecurity['sasl']>): SaslClient {
  if (sasl.mechanism === 'PLAIN') {
    return { first: () => Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'), next: () => null };
  }
  return new ScramClient(sasl.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512', sasl.username, sasl.password);
}

/** RFC 5802, client side. */
class ScramClient implements SaslClient {
  private readonly nonce = randomBytes(24).toString('base64');
  private firstBare = '';
  private serverSignature: Buffer | null = null;

  constructor(
    private readonly hash: 'sha256' | 'sha512',
    private readonly user: string,
    private readonly password: string,
  ) {}

  first(): Buffer {
    this.firstBare = `n=${this.user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
    return Buffer.from(`n,,${this.firstBare}`, 'utf8');
  }

  next(server: Buffer): Buffer | null {
    const text = server.toString('utf8');
    if (this.serverSignature) {
      const v = /^v=([^,]*)/.exec(text);
      if (!v) throw new Error(`SCRAM: the server refused the login (${text.slice(0, 100)})`);
      if (!timingSafeEqual(Buffer.from(v[1]!, 'base64'), this.serverSignature)) throw new Error('SCRAM: the server\'s signature is wrong: it does not hold this user\'s credentials');
      return null;
    }
    const attrs = new Map(text.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.nonce) || nonce.length <= this.nonce.length || salt.length === 0) throw new Error('SCRAM: a malformed server-first message');
    // Kafka's bounds: fewer iterations would make the proof cheap to attack, more would stall this client.
    if (!Number.isInteger(iterations) || iterations < 4096 || iterations > 16384) throw new Error(`SCRAM: the server asks for ${attrs.get('i')} iterations, outside Kafka's 4096 to 16384`);
    const size = this.hash === 'sha256' ? 32 : 64;
    const salted = pbkdf2Sync(this.password, salt, iterations, size, this.hash);
    const clientKey = createHmac(this.hash, salted).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.firstBare},${text},${withoutProof}`;
    const signature = createHmac(this.hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.serverSignature = createHmac(this.hash, createHmac(this.hash, salted).update('Server Key').digest()).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }
}

/** What AlterUserScramCredentials carries for a password: the client salts it, so the password never crosses the wire. */
export function saltedPassword(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', password: string, iterations: number): { salt: Buffer; saltedPassword: Buffer } {
  const salt = randomBytes(32);
  const sha = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  return { salt, saltedPassword: pbkdf2Sync(password, salt, iterations, sha === 'sha256' ? 32 : 64, sha) };
}
