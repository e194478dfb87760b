// The broker's SASL mechanisms on their own, no sockets: SCRAM against
// RFC 7677's worked example, an independent client written here, and
// kafkajs's client; PLAIN; and the credential store on real files.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../src/broker/errors.js';
import { CredentialStore } from '../src/broker/security/credentials.js';
import { plainAuthenticate } from '../src/broker/security/plain.js';
import {
  credentialFromPassword,
  credentialFromSaltedPassword,
  passwordMatches,
  SaslAuthenticationError,
  scramMechanismByCode,
  scramMechanismCode,
  ScramServer,
  type ScramCredential,
  type ScramMechanism,
} from '../src/broker/security/scram.js';
import { tempDir } from './helpers/files.js';

const require = createRequire(import.meta.url);
// kafkajs's SCRAM client, driven without a connection: an implementation not written here.
const { SCRAM: KafkajsScram, DIGESTS } = require('kafkajs/src/broker/saslAuthenticator/scram.js') as {
  SCRAM: new (sasl: object, host: string, port: number, logger: object, saslAuthenticate: (r: { request: { encode(): Promise<Buffer> }; response: { parse(b: Buffer): Promise<object> } }) => Promise<object>, digest: object) => { authenticate(): Promise<void> };
  DIGESTS: { SHA256: object; SHA512: object };
};

// ---- A SCRAM client, independent of the server's code ----
const ALGO = { 'SCRAM-SHA-256': ['sha256', 32], 'SCRAM-SHA-512': ['sha512', 64] } as const;
const hmac = (m: ScramMechanism, key: Buffer, data: string) => createHmac(ALGO[m][0], key).update(data).digest();
const salted = (m: ScramMechanism, password: string, salt: Buffer, i: number) => pbkdf2Sync(password, salt, i, ALGO[m][1], ALGO[m][0]);
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** ClientProof and the ServerSignature to expect, for an AuthMessage. */
function prove(m: ScramMechanism, password: string, salt: Buffer, i: number, authMessage: string): { proof: string; signature: string } {
  const sp = salted(m, password, salt, i);
  const clientKey = hmac(m, sp, 'Client Key');
  const signature = hmac(m, createHash(ALGO[m][0]).update(clientKey).digest(), authMessage);
  return {
    proof: Buffer.from(clientKey.map((b, k) => b ^ signature[k]!)).toString('base64'),
    signature: hmac(m, hmac(m, sp, 'Server Key'), authMessage).toString('base64'),
  };
}

interface Exchange {
  serverFirst: string;
  /** The final message's answer, or the refusal's message. */
  final: string;
  ok: boolean;
  expectedSignature: string;
}

/** Runs one exchange; the options bend the client the ways tests need. */
function exchange(
  server: ScramServer,
  password: string,
  o: { user?: string; gs2?: string; cnonce?: string; firstExtra?: string; channel?: string; finalNonce?: (serverNonce: string, cnonce: string) => string; proofFor?: (withoutProof: string) => string } = {},
): Exchange {
  const cnonce = o.cnonce ?? 'fyko+d2lbbFgONRv9qkxdawL';
  const gs2 = o.gs2 ?? 'n,,';
  const bare = `n=${o.user ?? 'user'},r=${cnonce}${o.firstExtra ?? ''}`;
  const serverFirst = server.step(Buffer.from(gs2 + bare)).toString();
  const fields = Object.fromEntries(serverFirst.split(',').map((f) => [f[0], f.slice(2)]));
  const nonce = o.finalNonce ? o.finalNonce(fields.r!, cnonce) : fields.r!;
  const withoutProof = `c=${o.channel ?? b64(gs2)},r=${nonce}`;
  const proven = prove(server.mechanism, password, Buffer.from(fields.s!, 'base64'), Number(fields.i), `${bare},${serverFirst},${o.proofFor ? o.proofFor(withoutProof) : withoutProof}`);
  try {
    const final = server.step(Buffer.from(`${withoutProof},p=${proven.proof}`)).toString();
    return { serverFirst, final, ok: true, expectedSignature: proven.signature };
  } catch (e) {
    expect(e).toBeInstanceOf(SaslAuthenticationError);
    expect((e as Error).message).not.toContain(proven.proof); // nothing secret goes back to the client
    return { serverFirst, final: (e as Error).message, ok: false, expectedSignature: proven.signature };
  }
}

const credentialFor = (m: ScramMechanism, password: string, salt: Buffer, i = 4096): ScramCredential => credentialFromSaltedPassword(m, salt, i, salted(m, password, salt, i));
const oneUser = (name: string, c: ScramCredential | null) => (u: string) => (u === name ? c : null);
const INVALID_256 = 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256';

describe('SCRAM server', () => {
  it('answers RFC 7677\'s SCRAM-SHA-256 example byte for byte', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const server = new ScramServer('SCRAM-SHA-256', oneUser('user', credentialFor('SCRAM-SHA-256', 'pencil', salt)), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    expect(server.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toString()).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(server.complete).toBe(false);
    // The proof and the signature as the RFC prints them.
    const final = server.step(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
    expect(final.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(server.complete).toBe(true);
    expect(server.user).toBe('user');
  });

  for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${m}: round trip with the client here and with kafkajs's, and a wrong password refused`, async () => {
      const c = credentialFromPassword(m, 'tiger', 8192);
      expect(c).toMatchObject({ mechanism: m, iterations: 8192 });
      expect(c.salt).toHaveLength(32);
      const lookup = oneUser('scott', c);
      const ours = exchange(new ScramServer(m, lookup), 'tiger', { user: 'scott' });
      expect(ours).toMatchObject({ ok: true, final: `v=${ours.expectedSignature}` });
      expect(ours.serverFirst).toMatch(/^r=fyko\+d2lbbFgONRv9qkxdawL[\x21-\x2b\x2d-\x7e]{20,},s=[A-Za-z0-9+/=]+,i=8192$/);

      const kafkajs = (password: string, server: ScramServer) => {
        const step = async ({ request, response }: { request: { encode(): Promise<Buffer> }; response: { parse(b: Buffer): Promise<object> } }) => response.parse(server.step((await request.encode()).subarray(4)));
        const logger = { debug: () => {}, error: () => {} };
        return new KafkajsScram({ username: 'scott', password }, 'localhost', 9092, logger, step, m === 'SCRAM-SHA-256' ? DIGESTS.SHA256 : DIGESTS.SHA512).authenticate();
      };
      const server = new ScramServer(m, lookup);
      await kafkajs('tiger', server); // it checks the server's signature itself
      expect([server.complete, server.user]).toEqual([true, 'scott']);
      await expect(kafkajs('lion', new ScramServer(m, lookup))).rejects.toThrow(`invalid credentials with SASL mechanism ${m}`);

      expect(exchange(new ScramServer(m, lookup), 'lion', { user: 'scott' })).toMatchObject({ ok: false, final: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}` });
    });
  }

  it('takes the final nonce of librdkafka < 2.6.1 (kcat): its own nonce again in front, as Kafka does', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    // librdkafka#4895: r = client nonce + server-first nonce (which already starts with the client nonce); the proof covers that r.
    const kcat = exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { finalNonce: (r, cnonce) => cnonce + r });
    expect(kcat).toMatchObject({ ok: true, final: `v=${kcat.expectedSignature}` });
    // The AuthMessage is the final message as sent: a proof over the nonce it should have sent does not pass.
    const mixed = exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { finalNonce: (r, cnonce) => cnonce + r, proofFor: (w) => w.replace(/r=fyko\+d2lbbFgONRv9qkxdawL/, 'r=') });
    expect(mixed).toMatchObject({ ok: false, final: INVALID_256 });
  });

  it('refuses a final nonce that does not end with the server-first nonce', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    for (const finalNonce of [(_r: string, cnonce: string) => cnonce, (r: string) => `${r.slice(0, -1)}~`, (r: string) => `${r}x`]) {
      expect(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { finalNonce })).toMatchObject({ ok: false, final: 'Invalid client nonce in the final client message' });
    }
  });

  it('answers an unknown user as a known one and fails it at the end, with the wrong password\'s text', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    const known = exchange(new ScramServer('SCRAM-SHA-256', lookup), 'wrong');
    const unknown = exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { user: 'nobody' });
    expect(unknown).toMatchObject({ ok: false, final: known.final });
    expect(known.final).toBe(INVALID_256);
    const salt = (e: Exchange) => /,s=([^,]+),i=(\d+)$/.exec(e.serverFirst)!.slice(1);
    expect(Buffer.from(salt(unknown)[0]!, 'base64')).toHaveLength(32);
    expect(salt(unknown)[1]).toBe('4096');
    // The same salt each time, as a real user's would be; another name, another salt.
    expect(salt(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'x', { user: 'nobody' }))).toEqual(salt(unknown));
    expect(salt(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'x', { user: 'nobody2' }))).not.toEqual(salt(unknown));
    // A credential of the other mechanism is no credential for this one.
    const other = oneUser('user', credentialFromPassword('SCRAM-SHA-512', 'pencil'));
    expect(exchange(new ScramServer('SCRAM-SHA-256', other), 'pencil')).toMatchObject({ ok: false, final: INVALID_256 });
  });

  it('holds the channel binding (c=) to the first message\'s GS2 header; an authzid must be the user, as Kafka', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    const tampered = 'Invalid SCRAM client final message: the channel binding (c=) does not repeat the first message\'s GS2 header';
    expect(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { channel: b64('n,a=user,') })).toMatchObject({ ok: false, final: tampered });
    expect(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { gs2: 'n,a=user,', channel: 'biws' })).toMatchObject({ ok: false, final: tampered });
    expect(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { gs2: 'n,a=user,' }).ok).toBe(true);
    expect(() => new ScramServer('SCRAM-SHA-256', lookup).step(Buffer.from('n,a=admin,n=user,r=abc'))).toThrow('Authentication failed: Client requested an authorization id that is different from username');
  });

  it('decodes =2C and =3D in a user name and refuses any other = escape', () => {
    const name = 'a,b=c';
    const lookup = oneUser(name, credentialFromPassword('SCRAM-SHA-512', 'pw'));
    const server = new ScramServer('SCRAM-SHA-512', lookup);
    expect(exchange(server, 'pw', { user: 'a=2Cb=3Dc' }).ok).toBe(true);
    expect(server.user).toBe(name);
    for (const user of ['a=2cb', 'a=41', 'a=', 'a=3']) {
      expect(() => new ScramServer('SCRAM-SHA-512', lookup).step(Buffer.from(`n,,n=${user},r=abc`))).toThrow('Invalid SCRAM client first message: bad = escape in a name (only =2C and =3D)');
    }
  });

  it('refuses channel binding, mandatory extensions and delegation tokens; ignores other extensions', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    const first = (m: string) => () => new ScramServer('SCRAM-SHA-256', lookup).step(Buffer.from(m));
    expect(first('y,,n=user,r=abc')).toThrow('SCRAM channel binding is not supported');
    expect(first('p=tls-unique,,n=user,r=abc')).toThrow('SCRAM channel binding is not supported');
    expect(first('n,,m=x,n=user,r=abc')).toThrow('SCRAM mandatory extensions (m=) are not supported');
    expect(first('n,,n=user,r=abc,tokenauth=true')).toThrow('SCRAM delegation token authentication (tokenauth) is not supported');
    expect(first('n,,n=user,r=abc,tokenauth=TRUE')).toThrow('(tokenauth) is not supported');
    expect(exchange(new ScramServer('SCRAM-SHA-256', lookup), 'pencil', { firstExtra: ',tokenauth=false,foo=bar' }).ok).toBe(true);
  });

  it('refuses malformed messages, saying what is wrong and never echoing the proof', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    const firsts: [Buffer | string, string][] = [
      [Buffer.from([0x6e, 0x2c, 0x2c, 0xff]), 'Invalid SCRAM client first message: not UTF-8'],
      ['', 'the GS2 header must start with n,'],
      ['n,', 'no end to the GS2 header'],
      ['n,x,n=user,r=abc', 'the GS2 header\'s second part must be empty or a=authzid'],
      ['n,,', 'expected n=user'],
      ['n,,r=abc,n=user', 'expected n=user'],
      ['n,,n=user', 'expected r=nonce after the user name'],
      ['n,,n=user,r=', 'the nonce must be printable ASCII without commas'],
      ['n,,n=user,r=a\x01b', 'the nonce must be printable ASCII without commas'],
      ['n,,n=,r=abc', 'empty user name'],
      ['n,,n=user,r=abc,=x', 'malformed extension'],
    ];
    for (const [m, why] of firsts) {
      expect(() => new ScramServer('SCRAM-SHA-256', lookup).step(Buffer.from(m)), JSON.stringify(m)).toThrow(why);
    }
    const afterFirst = (): { server: ScramServer; r: string } => {
      const server = new ScramServer('SCRAM-SHA-256', lookup);
      const r = /^r=([^,]+)/.exec(server.step(Buffer.from('n,,n=user,r=abc')).toString())![1]!;
      return { server, r };
    };
    const shortProof = Buffer.alloc(16, 7).toString('base64');
    const finals: [(r: string) => string, string][] = [
      [(r) => `c=biws,r=${r}`, 'no proof (p=) at the end'],
      [(r) => `c=biws,r=${r},p=`, 'the proof is not base64'],
      [(r) => `c=biws,r=${r},p=ab!d`, 'the proof is not base64'],
      [(r) => `r=${r},c=biws,p=${shortProof}`, 'expected c=base64 channel binding'],
      [(r) => `c=b*ws,r=${r},p=${shortProof}`, 'expected c=base64 channel binding'],
      [() => `c=biws,p=${shortProof}`, 'expected r=nonce after the channel binding'],
      [(r) => `c=biws,r=${r},x,p=${shortProof}`, 'malformed extension'],
      [(r) => `c=biws,r=${r},p=${shortProof}`, 'the proof has the wrong length for the mechanism'],
    ];
    for (const [m, why] of finals) {
      const { server, r } = afterFirst();
      let message = '';
      try {
        server.step(Buffer.from(m(r)));
      } catch (e) {
        expect(e).toBeInstanceOf(SaslAuthenticationError);
        message = (e as Error).message;
      }
      expect(message).toBe(`Invalid SCRAM client final message: ${why}`);
      expect(message).not.toContain(shortProof);
    }
  });

  it('refuses any step after the exchange completed or failed; the user is known only once complete', () => {
    const lookup = oneUser('user', credentialFromPassword('SCRAM-SHA-256', 'pencil'));
    const done = new ScramServer('SCRAM-SHA-256', lookup);
    exchange(done, 'pencil');
    expect(() => done.step(Buffer.from('n,,n=user,r=abc'))).toThrow('Unexpected SCRAM message: the exchange has already completed');
    const failed = new ScramServer('SCRAM-SHA-256', lookup);
    expect(() => failed.step(Buffer.from('junk'))).toThrow(SaslAuthenticationError);
    expect(() => failed.user).toThrow('has not completed');
    expect(() => failed.step(Buffer.from('n,,n=user,r=abc'))).toThrow('Unexpected SCRAM message: the exchange has already failed');
    const wrong = new ScramServer('SCRAM-SHA-256', lookup);
    expect(exchange(wrong, 'nope').ok).toBe(false);
    expect(wrong.complete).toBe(false);
    expect(() => wrong.user).toThrow('has not completed');
  });

  it('matches passwords against a credential, and maps Kafka\'s mechanism numbers', () => {
    const c = credentialFromPassword('SCRAM-SHA-512', 'héllo wörld');
    expect([passwordMatches(c, 'héllo wörld'), passwordMatches(c, 'hello world'), passwordMatches(c, '')]).toEqual([true, false, false]);
    expect(() => credentialFromPassword('SCRAM-SHA-256', 'x', 4095)).toThrow(RangeError);
    expect([scramMechanismByCode(1), scramMechanismByCode(2), scramMechanismByCode(0), scramMechanismByCode(3)]).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512', null, null]);
    expect([scramMechanismCode('SCRAM-SHA-256'), scramMechanismCode('SCRAM-SHA-512')]).toEqual([1, 2]);
  });
});

describe('SASL PLAIN', () => {
  const verify = (u: string, p: string) => u === 'alice' && p === 'secret';
  const plain = (s: string) => () => plainAuthenticate(Buffer.from(s), verify);

  it('authenticates authcid and password; an authzid must be the same user', () => {
    expect(plain('\0alice\0secret')()).toBe('alice');
    expect(plain('alice\0alice\0secret')()).toBe('alice');
    expect(plain('admin\0alice\0secret')).toThrow('Authentication failed: Client requested an authorization id that is different from username');
  });

  it('says the same for an unknown user and a wrong password; refuses malformed messages as Kafka does', () => {
    expect(plain('\0alice\0wrong')).toThrow('Authentication failed: Invalid username or password');
    expect(plain('\0mallory\0secret')).toThrow('Authentication failed: Invalid username or password');
    expect(plain('alice\0secret')).toThrow('Invalid SASL/PLAIN response: expected 3 tokens, got 2');
    expect(plain('a\0b\0c\0d\0e')).toThrow('Invalid SASL/PLAIN response: expected 3 tokens, got 4');
    expect(plain('\0\0secret')).toThrow('Authentication failed: username not specified');
    expect(plain('\0alice\0')).toThrow('Authentication failed: password not specified');
    expect(() => plainAuthenticate(Buffer.from([0, 0x61, 0, 0xff]), verify)).toThrow('Invalid SASL/PLAIN response: not UTF-8');
    const failing = () => plainAuthenticate(Buffer.from('\0alice\0secret'), () => { throw new Error('disk on fire'); });
    expect(failing).toThrow(SaslAuthenticationError);
    expect(failing).toThrow('Authentication failed: credentials for user could not be verified');
  });
});

describe('credential store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dataDir: string;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    dataDir = join(tmp.dir, 'data');
    file = join(dataDir, '__security', 'users.json');
  });
  afterEach(() => tmp.cleanup());

  const upsert = (user: string, mechanism: number, password: string, iterations = 4096) => {
    const salt = Buffer.from(`salt-of-${user}`);
    const m = scramMechanismByCode(mechanism) ?? 'SCRAM-SHA-256';
    return { user, mechanism, iterations, salt, saltedPassword: salted(m, password, salt, Math.max(iterations, 1)) };
  };

  it('creates nothing until a change; keeps keys, never the password, across a reopen', () => {
    const store = CredentialStore.open(dataDir);
    expect([store.userCount, store.list(), existsSync(dataDir)]).toEqual([0, [], false]);
    store.setPassword('bob', 'builder', 'SCRAM-SHA-256');
    store.setPassword('alice', 'secret', 'SCRAM-SHA-512', 8192);
    store.setPassword('alice', 'secret', 'SCRAM-SHA-256');
    expect(readFileSync(file, 'utf8')).not.toMatch(/secret|builder/);
    expect(statSync(join(dataDir, '__security')).mode & 0o777).toBe(0o700);

    const again = CredentialStore.open(dataDir);
    expect(again.userCount).toBe(2);
    expect(again.list()).toEqual([
      { user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
      { user: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
    ]);
    expect(again.get('alice', 'SCRAM-SHA-512')).toEqual(store.get('alice', 'SCRAM-SHA-512'));
    expect(again.get('bob', 'SCRAM-SHA-512')).toBeNull();
    expect([again.verifyPassword('alice', 'secret'), again.verifyPassword('alice', 'builder'), again.verifyPassword('carol', 'secret')]).toEqual([true, false, false]);
    // PLAIN against the store, the way the connection will use it.
    expect(plainAuthenticate(Buffer.from('\0bob\0builder'), (u, p) => again.verifyPassword(u, p))).toBe('bob');
  });

  it('applies AlterUserScramCredentials upsertions and deletions durably; the user then logs in over SCRAM', () => {
    const store = CredentialStore.open(dataDir);
    expect(store.alter([], [upsert('al,ice', 1, 'pw1'), upsert('bob', 2, 'pw2', 16384)])).toEqual([
      { user: 'al,ice', error: 'NONE', message: null },
      { user: 'bob', error: 'NONE', message: null },
    ]);
    const reopened = CredentialStore.open(dataDir);
    for (const [m, user, saslName, password] of [['SCRAM-SHA-256', 'al,ice', 'al=2Cice', 'pw1'], ['SCRAM-SHA-512', 'bob', 'bob', 'pw2']] as const) {
      const server = new ScramServer(m, (u) => reopened.get(u, m));
      const e = exchange(server, password, { user: saslName });
      expect(e).toMatchObject({ ok: true, final: `v=${e.expectedSignature}` });
      expect(server.user).toBe(user);
    }
    expect(reopened.alter([{ user: 'bob', mechanism: 2 }], [upsert('al,ice', 2, 'pw3')])).toEqual([
      { user: 'bob', error: 'NONE', message: null },
      { user: 'al,ice', error: 'NONE', message: null },
    ]);
    const last = CredentialStore.open(dataDir);
    expect(last.list()).toEqual([{ user: 'al,ice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }]);
    expect(last.verifyPassword('al,ice', 'pw3')).toBe(true);
  });

  it('validates each entry as Kafka\'s controller does, refusing every entry of a user with a refused one', () => {
    const store = CredentialStore.open(dataDir);
    store.alter([], [upsert('both', 1, 'x'), upsert('twice', 1, 'x')]);
    store.alter([], [upsert('twice', 2, 'x')]);
    const results = store.alter(
      [{ user: '', mechanism: 1 }, { user: 'ghost', mechanism: 1 }, { user: 'both', mechanism: 1 }, { user: 'twice', mechanism: 1 }, { user: 'twice', mechanism: 2 }, { user: 'oddmech', mechanism: 7 }],
      [upsert('badmech', 3, 'x'), upsert('few', 1, 'x', 4095), upsert('many', 1, 'x', 16385), upsert('both', 2, 'x'), upsert('pair', 1, 'x'), upsert('pair', 2, 'x'), upsert('ok', 2, 'x'), { ...upsert('nosalt', 1, 'x'), salt: Buffer.alloc(0) }, { ...upsert('nopw', 1, 'x'), saltedPassword: Buffer.alloc(0) }, upsert('ghost', 1, 'x')],
    );
    const dup = { error: 'DUPLICATE_RESOURCE', message: 'A user credential cannot be altered twice in the same request' };
    expect(results).toEqual([
      { user: '', error: 'UNACCEPTABLE_CREDENTIAL', message: 'Username must not be empty' },
      // Its first refusal stands; the later upsertion is not looked at.
      { user: 'ghost', error: 'RESOURCE_NOT_FOUND', message: 'Attempt to delete a user credential that does not exist' },
      { user: 'both', ...dup },
      { user: 'twice', ...dup },
      { user: 'oddmech', error: 'UNSUPPORTED_SASL_MECHANISM', message: 'Unknown SCRAM mechanism' },
      { user: 'badmech', error: 'UNSUPPORTED_SASL_MECHANISM', message: 'Unknown SCRAM mechanism' },
      { user: 'few', error: 'UNACCEPTABLE_CREDENTIAL', message: 'Too few iterations' },
      { user: 'many', error: 'UNACCEPTABLE_CREDENTIAL', message: 'Too many iterations' },
      { user: 'pair', ...dup },
      { user: 'ok', error: 'NONE', message: null },
      { user: 'nosalt', error: 'UNACCEPTABLE_CREDENTIAL', message: 'Salt must not be empty' },
      { user: 'nopw', error: 'UNACCEPTABLE_CREDENTIAL', message: 'Salted password must not be empty' },
    ]);
    // Only "ok" changed: the refused users' credentials are as they were.
    expect(CredentialStore.open(dataDir).list()).toEqual([
      { user: 'both', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
      { user: 'ok', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
      { user: 'twice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    ]);
  });

  it('writes nothing for a request refused entirely; setPassword refuses what alter would', () => {
    const store = CredentialStore.open(dataDir);
    expect(store.alter([{ user: 'ghost', mechanism: 1 }], [upsert('few', 1, 'x', 10)]).map((r) => r.error)).toEqual(['RESOURCE_NOT_FOUND', 'UNACCEPTABLE_CREDENTIAL']);
    expect(existsSync(dataDir)).toBe(false);
    const refusal = (f: () => void) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BrokerError);
        return [(e as BrokerError).code, (e as Error).message];
      }
      return null;
    };
    expect(refusal(() => store.setPassword('', 'pw', 'SCRAM-SHA-256'))).toEqual(['UNACCEPTABLE_CREDENTIAL', 'Username must not be empty']);
    expect(refusal(() => store.setPassword('u', '', 'SCRAM-SHA-256'))).toEqual(['UNACCEPTABLE_CREDENTIAL', 'Password must not be empty']);
    expect(refusal(() => store.setPassword('u', 'pw', 'SCRAM-SHA-256', 20000))).toEqual(['UNACCEPTABLE_CREDENTIAL', 'Too many iterations']);
    expect(refusal(() => store.setPassword('u', 'pw', 'SCRAM-SHA-1' as ScramMechanism))).toEqual(['UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism SCRAM-SHA-1']);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses to open a corrupt or hand-edited file, naming it', () => {
    CredentialStore.open(dataDir).setPassword('alice', 'secret', 'SCRAM-SHA-256');
    const good = JSON.parse(readFileSync(file, 'utf8')) as { version: number; users: { name: string; credentials: Record<string, unknown>[] }[] };
    const edited = (edit: (f: typeof good) => void): string => {
      const f = structuredClone(good);
      edit(f);
      return JSON.stringify(f);
    };
    const cases: [string, string][] = [
      ['{"version": 1, "users": [', 'not valid JSON'],
      ['[]', 'not a JSON object'],
      [edited((f) => (f.version = 2)), 'version 2, this broker reads version 1'],
      [edited((f) => (f.users = {} as never)), '"users" is not a list'],
      [edited((f) => (f.users[0]!.name = '')), 'users[0] has no name'],
      [edited((f) => f.users.push(f.users[0]!)), 'user "alice" is listed twice'],
      [edited((f) => (f.users[0]!.credentials = [])), 'user "alice" has no credentials'],
      [edited((f) => (f.users[0]!.credentials[0]!.mechanism = 'SCRAM-SHA-1')), 'user "alice": unknown mechanism "SCRAM-SHA-1"'],
      [edited((f) => f.users[0]!.credentials.push(f.users[0]!.credentials[0]!)), 'user "alice": SCRAM-SHA-256 twice'],
      [edited((f) => (f.users[0]!.credentials[0]!.iterations = 1000)), 'user "alice" SCRAM-SHA-256: iterations must be an integer in [4096, 16384]'],
      [edited((f) => (f.users[0]!.credentials[0]!.iterations = '4096' as never)), 'user "alice" SCRAM-SHA-256: iterations must be an integer in [4096, 16384]'],
      [edited((f) => (f.users[0]!.credentials[0]!.salt = 'not base64!')), 'user "alice" SCRAM-SHA-256: salt is not base64'],
      [edited((f) => delete f.users[0]!.credentials[0]!.serverKey), 'user "alice" SCRAM-SHA-256: serverKey is not base64'],
      [edited((f) => (f.users[0]!.credentials[0]!.storedKey = 'AAAA')), 'user "alice" SCRAM-SHA-256: storedKey is 3 bytes, not 32'],
    ];
    for (const [text, why] of cases) {
      writeFileSync(file, text);
      expect(() => CredentialStore.open(dataDir), why).toThrow(`SCRAM credential file ${file}: ${why}`);
    }
    writeFileSync(file, JSON.stringify(good));
    expect(CredentialStore.open(dataDir).verifyPassword('alice', 'secret')).toBe(true);
  });
});
