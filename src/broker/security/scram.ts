// SASL SCRAM (RFC 5802, RFC 7677), the broker's side, as Kafka's
// ScramSaslServer does it: the broker keeps only StoredKey and ServerKey, so
// a stolen credential file does not log anyone in, and the client proves it
// knows the password without sending it. Pure: no sockets, the caller feeds
// SaslAuthenticate bytes in and sends the answers back.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's numbers on the wire (AlterUserScramCredentials, DescribeUserScramCredentials): 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512. */
export function scramMechanismByCode(code: number): ScramMechanism | null {
  return code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : null;
}
export function scramMechanismCode(m: ScramMechanism): number {
  return m === 'SCRAM-SHA-256' ? 1 : 2;
}

export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;
/** Salt length of credentials made here, and of the decoys for unknown users, so the two look alike. */
export const SCRAM_SALT_BYTES = 32;

export interface ScramCredential {
  mechanism: ScramMechanism;
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const HASHES: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

/** Length of StoredKey, ServerKey and a client proof for the mechanism. */
export function scramKeyBytes(m: ScramMechanism): number {
  return HASHES[m].bytes;
}

const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer => createHmac(HASHES[m].name, key).update(data).digest();
const hash = (m: ScramMechanism, data: Buffer): Buffer => createHash(HASHES[m].name).update(data).digest();

/** From a salted password (what AlterUserScramCredentials carries: Hi(password, salt, i) computed by the client). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salt: Buffer, iterations: number, saltedPassword: Buffer): ScramCredential {
  return {
    mechanism,
    salt: Buffer.from(salt),
    iterations,
    storedKey: hash(mechanism, hmac(mechanism, saltedPassword, 'Client Key')),
    serverKey: hmac(mechanism, saltedPassword, 'Server Key'),
  };
}

function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  // No SASLprep, as Kafka: the password's UTF-8 bytes as they are.
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASHES[mechanism].bytes, HASHES[mechanism].name);
}

/** From a password: random salt (crypto.randomBytes), pbkdf2Sync Hi(). */
export function credentialFromPassword(mechanism: ScramMechanism, password: string, iterations = SCRAM_MIN_ITERATIONS): ScramCredential {
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) {
    throw new RangeError(`SCRAM iterations must be an integer in [${SCRAM_MIN_ITERATIONS}, ${SCRAM_MAX_ITERATIONS}], not ${iterations}`);
  }
  const salt = randomBytes(SCRAM_SALT_BYTES);
  return credentialFromSaltedPassword(mechanism, salt, iterations, saltedPassword(mechanism, password, salt, iterations));
}

/** True when `password` matches the credential (for SASL PLAIN against SCRAM credentials); constant-time compare of StoredKey. */
export function passwordMatches(c: ScramCredential, password: string): boolean {
  const derived = credentialFromSaltedPassword(c.mechanism, c.salt, c.iterations, saltedPassword(c.mechanism, password, c.salt, c.iterations));
  return derived.storedKey.length === c.storedKey.length && timingSafeEqual(derived.storedKey, c.storedKey);
}

// Unknown users get a decoy credential instead of an early "no such user":
// its salt is the same on every attempt (an HMAC of the name under a key
// drawn once per process), so asking twice does not tell a decoy from a real
// user either; its keys are random, so no proof ever matches.
const DECOY_KEY = randomBytes(32);

/** A credential for a user who has none: same shape and cost as a real one, and never matched. */
export function decoyCredential(mechanism: ScramMechanism, user: string): ScramCredential {
  const bytes = HASHES[mechanism].bytes;
  return {
    mechanism,
    salt: createHmac('sha256', DECOY_KEY).update(`${mechanism}\0${user}`).digest().subarray(0, SCRAM_SALT_BYTES),
    iterations: SCRAM_MIN_ITERATIONS,
    storedKey: randomBytes(bytes),
    serverKey: randomBytes(bytes),
  };
}

/** A refusal whose message is safe to send to the client: never contains a password, proof or key. */
export class SaslAuthenticationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SaslAuthenticationError';
  }
}

/** Kafka's text for a wrong proof, and (here) for an unknown user too: the two must not be told apart. */
export function invalidCredentials(mechanism: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The message as text, refusing bytes that are not UTF-8 (Java would turn them into U+FFFD and go on). */
export function decodeUtf8(message: Buffer, what: string): string {
  try {
    return utf8.decode(message);
  } catch {
    throw new SaslAuthenticationError(`${what}: not UTF-8`);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/;
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/; // RFC 5802 printable: no comma
const EXTENSION = /^[A-Za-z]+=[^,]+$/;

/** saslname → user name: =2C is a comma, =3D an equals sign, and no other = may appear. */
function decodeSaslName(name: string, first: (why: string) => SaslAuthenticationError): string {
  if (name === '') throw first('empty user name');
  if (name.replace(/=2C|=3D/g, '').includes('=')) throw first('bad = escape in a name (only =2C and =3D)');
  if (name.includes('\0')) throw first('NUL in a name');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

type State = 'first' | 'final' | 'complete' | 'failed';

/** One SCRAM exchange, server side (RFC 5802 / RFC 7677, as Kafka's ScramSaslServer). */
export class ScramServer {
  private state: State = 'first';
  private authenticated: string | null = null;
  // Kept between the two steps.
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private userName = '';
  private credential: ScramCredential | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: (user: string) => ScramCredential | null,
    private readonly serverNonce: () => string = () => randomBytes(32).toString('base64'),
  ) {}

  /** True once the client's proof was verified and the server-final message returned. */
  get complete(): boolean {
    return this.state === 'complete';
  }

  /** The authenticated user name (after complete). */
  get user(): string {
    if (this.authenticated === null) throw new Error('the SCRAM exchange has not completed');
    return this.authenticated;
  }

  /** Feeds one client message; returns the server's answer. Throws SaslAuthenticationError on any failure. */
  step(clientMessage: Buffer): Buffer {
    const state = this.state;
    if (state === 'complete' || state === 'failed') {
      throw new SaslAuthenticationError(`Unexpected SCRAM message: the exchange has already ${state === 'complete' ? 'completed' : 'failed'}`);
    }
    // A refused exchange stays refused: the client starts again with a new one.
    this.state = 'failed';
    const answer = state === 'first' ? this.first(clientMessage) : this.final(clientMessage);
    this.state = state === 'first' ? 'final' : 'complete';
    return Buffer.from(answer, 'utf8');
  }

  private first(message: Buffer): string {
    const bad = (why: string) => new SaslAuthenticationError(`Invalid SCRAM client first message: ${why}`);
    const text = decodeUtf8(message, 'Invalid SCRAM client first message');
    if (text.startsWith('y,') || text.startsWith('p=')) throw new SaslAuthenticationError('SCRAM channel binding is not supported');
    if (!text.startsWith('n,')) throw bad('the GS2 header must start with n,');
    const headerEnd = text.indexOf(',', 2);
    if (headerEnd < 0) throw bad('no end to the GS2 header');
    const authz = text.slice(2, headerEnd);
    if (authz !== '' && !authz.startsWith('a=')) throw bad('the GS2 header\'s second part must be empty or a=authzid');
    const authzid = authz === '' ? '' : decodeSaslName(authz.slice(2), bad);
    this.gs2Header = text.slice(0, headerEnd + 1);
    this.clientFirstBare = text.slice(headerEnd + 1);

    const [n, r, ...extensions] = this.clientFirstBare.split(',');
    if (n?.startsWith('m=')) throw new SaslAuthenticationError('SCRAM mandatory extensions (m=) are not supported');
    if (!n?.startsWith('n=')) throw bad('expected n=user');
    if (!r?.startsWith('r=')) throw bad('expected r=nonce after the user name');
    if (!PRINTABLE.test(r.slice(2))) throw bad('the nonce must be printable ASCII without commas');
    for (const e of extensions) {
      if (!EXTENSION.test(e)) throw bad('malformed extension');
      // Delegation tokens would authenticate a token id as its owner: not supported, so not ignored either.
      if (/^tokenauth=true$/i.test(e)) throw new SaslAuthenticationError('SCRAM delegation token authentication (tokenauth) is not supported');
    }
    const user = decodeSaslName(n.slice(2), bad);
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }

    let found: ScramCredential | null;
    try {
      found = this.lookup(user);
    } catch (e) {
      throw new SaslAuthenticationError('Authentication failed: Credentials could not be obtained', { cause: e });
    }
    const usable = found && found.mechanism === this.mechanism && found.iterations >= SCRAM_MIN_ITERATIONS ? found : null;
    this.credential = usable ?? decoyCredential(this.mechanism, user);
    this.userName = usable ? user : '';
    this.nonce = r.slice(2) + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    return this.serverFirst;
  }

  private final(message: Buffer): string {
    const bad = (why: string) => new SaslAuthenticationError(`Invalid SCRAM client final message: ${why}`);
    const text = decodeUtf8(message, 'Invalid SCRAM client final message');
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw bad('no proof (p=) at the end');
    const withoutProof = text.slice(0, proofAt);
    const proofText = text.slice(proofAt + 3);
    if (proofText === '' || !BASE64.test(proofText)) throw bad('the proof is not base64');
    const [c, r, ...extensions] = withoutProof.split(',');
    if (!c?.startsWith('c=') || !BASE64.test(c.slice(2))) throw bad('expected c=base64 channel binding');
    if (!r?.startsWith('r=') || !PRINTABLE.test(r.slice(2))) throw bad('expected r=nonce after the channel binding');
    if (extensions.some((e) => !EXTENSION.test(e))) throw bad('malformed extension');
    if (!Buffer.from(c.slice(2), 'base64').equals(Buffer.from(this.gs2Header, 'utf8'))) {
      throw bad('the channel binding (c=) does not repeat the first message\'s GS2 header');
    }
    // As Kafka (since 3.8.1): the nonce must end with ours, not equal it.
    // librdkafka before 2.6.1 (Debian's kcat among others) sends its own
    // nonce again in front (librdkafka#4895); ours at the end is what stops
    // a replay, and the proof covers the nonce exactly as sent.
    if (!r.slice(2).endsWith(this.nonce)) throw new SaslAuthenticationError('Invalid client nonce in the final client message');
    const proof = Buffer.from(proofText, 'base64');
    const credential = this.credential!;
    if (proof.length !== HASHES[this.mechanism].bytes) throw bad('the proof has the wrong length for the mechanism');

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const computed = hash(this.mechanism, clientKey);
    const proven = computed.length === credential.storedKey.length && timingSafeEqual(computed, credential.storedKey);
    if (!proven || this.userName === '') throw invalidCredentials(this.mechanism);
    this.authenticated = this.userName;
    this.credential = null;
    return `v=${hmac(this.mechanism, credential.serverKey, authMessage).toString('base64')}`;
  }
}
