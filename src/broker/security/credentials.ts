// The users' SCRAM credentials, kept in <data>/__security/users.json
// (replaced whole, atomically, and the directory synced, so a change that
// was answered survives a crash). Only salt, StoredKey and ServerKey are
// kept, as Kafka keeps them, never a password. The directory is the owner's
// alone: the keys let an attacker try passwords offline. A file that does
// not parse or holds anything unexpected stops the broker with the file's
// name, rather than starting with fewer users than the operator wrote.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import { syncDirectory } from '../../storage/sync-dir.js';
import { writeFileAtomic } from '../atomic-file.js';
import { BrokerError } from '../errors.js';
import {
  credentialFromPassword,
  credentialFromSaltedPassword,
  decoyCredential,
  passwordMatches,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MECHANISMS,
  SCRAM_MIN_ITERATIONS,
  scramKeyBytes,
  scramMechanismByCode,
  type ScramCredential,
  type ScramMechanism,
} from './scram.js';
import { isObject, readStateList } from './state-file.js';

export const SECURITY_DIR = '__security';
export const USERS_FILE = 'users.json';
const FILE_VERSION = 1;

/** The errors AlterUserScramCredentials answers per user, by Kafka name. */
export type AlterScramError = Extract<ErrorName, 'NONE' | 'UNSUPPORTED_SASL_MECHANISM' | 'UNACCEPTABLE_CREDENTIAL' | 'RESOURCE_NOT_FOUND' | 'DUPLICATE_RESOURCE'>;
export interface ScramDeletion { user: string; mechanism: number }
export interface ScramUpsertion { user: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }
export interface AlterScramResult { user: string; error: AlterScramError; message: string | null }

type Users = Map<string, Map<ScramMechanism, ScramCredential>>;
type Refusal = { error: AlterScramError; message: string };

export class CredentialStore {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private users: Users,
  ) {}

  /** Reads the store if there is one; creates nothing until the first change. */
  static open(dataDir: string): CredentialStore {
    const dir = join(dataDir, SECURITY_DIR);
    const file = join(dir, USERS_FILE);
    return new CredentialStore(dir, file, existsSync(file) ? load(file) : new Map());
  }

  get userCount(): number {
    return this.users.size;
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | null {
    return this.users.get(user)?.get(mechanism) ?? null;
  }

  /** Users and their mechanisms (with iterations), sorted by name. */
  list(): { user: string; credentials: { mechanism: ScramMechanism; iterations: number }[] }[] {
    return [...this.users.keys()].sort(byCodeUnits).map((user) => ({
      user,
      credentials: SCRAM_MECHANISMS.flatMap((m) => {
        const c = this.users.get(user)!.get(m);
        return c ? [{ mechanism: m, iterations: c.iterations }] : [];
      }),
    }));
  }

  /**
   * AlterUserScramCredentials: every change that passes is applied and
   * written at once (one file write); a user with any refused entry, or named
   * twice, has none applied, as Kafka's controller does. One result per
   * user, in the order users first appear (deletions first).
   */
  alter(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): AlterScramResult[] {
    const order: string[] = [];
    const refused = new Map<string, Refusal>();
    const deletes = new Map<string, ScramMechanism>();
    const upserts = new Map<string, ScramUpsertion & { scram: ScramMechanism }>();
    const twice: Refusal = { error: 'DUPLICATE_RESOURCE', message: 'A user credential cannot be altered twice in the same request' };
    const entry = (user: string): boolean => {
      if (!order.includes(user)) order.push(user);
      if (refused.has(user)) return false; // the user's first refusal is the one reported
      if (deletes.delete(user) || upserts.delete(user)) {
        refused.set(user, twice);
        return false;
      }
      return true;
    };
    for (const d of deletions) {
      if (!entry(d.user)) continue;
      const why = this.checkDeletion(d);
      if (typeof why === 'string') deletes.set(d.user, why);
      else refused.set(d.user, why);
    }
    for (const u of upsertions) {
      if (!entry(u.user)) continue;
      const why = checkUpsertion(u);
      if (typeof why === 'string') upserts.set(u.user, { ...u, scram: why });
      else refused.set(u.user, why);
    }

    if (deletes.size > 0 || upserts.size > 0) {
      const next: Users = new Map([...this.users].map(([user, creds]) => [user, new Map(creds)]));
      for (const [user, mechanism] of deletes) {
        const creds = next.get(user)!;
        creds.delete(mechanism);
        if (creds.size === 0) next.delete(user);
      }
      for (const [user, u] of upserts) {
        const creds = next.get(user) ?? new Map<ScramMechanism, ScramCredential>();
        creds.set(u.scram, credentialFromSaltedPassword(u.scram, u.salt, u.iterations, u.saltedPassword));
        next.set(user, creds);
      }
      this.save(next); // throws on I/O failure, before anything changed in memory
      this.users = next;
    }
    return order.map((user) => {
      const r = refused.get(user);
      return r ? { user, ...r } : { user, error: 'NONE', message: null };
    });
  }

  /** Convenience for the CLI / tests: set a password (derives a credential for the mechanism), persisted. */
  setPassword(user: string, password: string, mechanism: ScramMechanism, iterations = SCRAM_MIN_ITERATIONS): void {
    if (!SCRAM_MECHANISMS.includes(mechanism)) throw new BrokerError('UNSUPPORTED_SASL_MECHANISM', `Unknown SCRAM mechanism ${mechanism}`);
    const why = checkName(user) ?? checkIterations(iterations);
    if (why) throw new BrokerError(why.error, why.message);
    if (password === '') throw new BrokerError('UNACCEPTABLE_CREDENTIAL', 'Password must not be empty');
    const next: Users = new Map(this.users);
    next.set(user, new Map(this.users.get(user)).set(mechanism, credentialFromPassword(mechanism, password, iterations)));
    this.save(next);
    this.users = next;
  }

  /** For SASL PLAIN: true when the password matches any SCRAM credential the user has. */
  verifyPassword(user: string, password: string): boolean {
    const creds = this.users.get(user);
    if (!creds) {
      // The same PBKDF2 work as for a real user, so the time taken does not say who exists.
      passwordMatches(decoyCredential('SCRAM-SHA-256', user), password);
      return false;
    }
    for (const c of creds.values()) if (passwordMatches(c, password)) return true;
    return false;
  }

  private checkDeletion(d: ScramDeletion): ScramMechanism | Refusal {
    const mechanism = scramMechanismByCode(d.mechanism);
    const why = checkName(d.user) ?? (mechanism ? null : unknownMechanism);
    if (why) return why;
    if (!this.users.get(d.user)?.has(mechanism!)) return { error: 'RESOURCE_NOT_FOUND', message: 'Attempt to delete a user credential that does not exist' };
    return mechanism!;
  }

  private save(users: Users): void {
    const created = mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify(serialize(users), null, 2)}\n`);
    syncDirectory(this.dir);
    if (created !== undefined) syncDirectory(dirname(this.dir));
  }
}

const unknownMechanism: Refusal = { error: 'UNSUPPORTED_SASL_MECHANISM', message: 'Unknown SCRAM mechanism' };

function checkName(user: string): Refusal | null {
  return user === '' ? { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Username must not be empty' } : null;
}

function checkIterations(iterations: number): Refusal | null {
  if (!Number.isInteger(iterations)) return { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Iterations must be an integer' };
  if (iterations < SCRAM_MIN_ITERATIONS) return { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Too few iterations' };
  if (iterations > SCRAM_MAX_ITERATIONS) return { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Too many iterations' };
  return null;
}

function checkUpsertion(u: ScramUpsertion): ScramMechanism | Refusal {
  const mechanism = scramMechanismByCode(u.mechanism);
  const why = checkName(u.user) ?? (mechanism ? null : unknownMechanism) ?? checkIterations(u.iterations);
  if (why) return why;
  // Kafka would fail these deeper down (an empty HMAC key is an exception in Java); a clear refusal instead.
  if (u.salt.length === 0) return { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Salt must not be empty' };
  if (u.saltedPassword.length === 0) return { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Salted password must not be empty' };
  return mechanism!;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface StoredCredential { mechanism: string; iterations: number; salt: string; storedKey: string; serverKey: string }
interface StoredFile { version: number; users: { name: string; credentials: StoredCredential[] }[] }

function serialize(users: Users): StoredFile {
  return {
    version: FILE_VERSION,
    users: [...users.keys()].sort(byCodeUnits).map((name) => ({
      name,
      credentials: [...users.get(name)!.values()].map((c) => ({
        mechanism: c.mechanism,
        iterations: c.iterations,
        salt: c.salt.toString('base64'),
        storedKey: c.storedKey.toString('base64'),
        serverKey: c.serverKey.toString('base64'),
      })),
    })),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/;

function load(file: string): Users {
  const { items, fail } = readStateList(file, { what: 'SCRAM credential file', version: FILE_VERSION, key: 'users', without: 'users' });
  const users: Users = new Map();
  for (const [i, u] of items.entries()) {
    if (!isObject(u) || typeof u.name !== 'string' || u.name === '') return fail(`users[${i}] has no name`);
    const at = `user ${JSON.stringify(u.name)}`;
    if (users.has(u.name)) return fail(`${at} is listed twice`);
    if (!Array.isArray(u.credentials) || u.credentials.length === 0) return fail(`${at} has no credentials`);
    const creds = new Map<ScramMechanism, ScramCredential>();
    for (const c of u.credentials) {
      if (!isObject(c)) return fail(`${at}: a credential is not an object`);
      const mechanism = SCRAM_MECHANISMS.find((m) => m === c.mechanism);
      if (!mechanism) return fail(`${at}: unknown mechanism ${JSON.stringify(c.mechanism)}`);
      if (creds.has(mechanism)) return fail(`${at}: ${mechanism} twice`);
      const iterations = c.iterations;
      if (typeof iterations !== 'number' || checkIterations(iterations)) return fail(`${at} ${mechanism}: iterations must be an integer in [${SCRAM_MIN_ITERATIONS}, ${SCRAM_MAX_ITERATIONS}]`);
      const bytes = (name: 'salt' | 'storedKey' | 'serverKey', length: number | null): Buffer => {
        const v = c[name];
        if (typeof v !== 'string' || v === '' || !BASE64.test(v)) return fail(`${at} ${mechanism}: ${name} is not base64`);
        const b = Buffer.from(v, 'base64');
        if (length !== null && b.length !== length) return fail(`${at} ${mechanism}: ${name} is ${b.length} bytes, not ${length}`);
        return b;
      };
      const keyBytes = scramKeyBytes(mechanism);
      creds.set(mechanism, { mechanism, iterations, salt: bytes('salt', null), storedKey: bytes('storedKey', keyBytes), serverKey: bytes('serverKey', keyBytes) });
    }
    users.set(u.name, creds);
  }
  return users;
}
