// RocketMQ 5's access keys: a client signs each call with HMAC-SHA1 of its
// x-mq-date-time header under the key's secret, so the broker must hold the
// secret itself (RocketMQ's ACL keeps it the same way). Each key belongs to a
// user, whose principal (User:<name>) the authorizer then judges. Kept in
// <data>/__security/access-keys.json beside the users, readable by the
// broker's user only, replaced whole and synced as the other stores.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { syncDirectory } from '../../storage/sync-dir.js';
import { writeFileAtomic } from '../atomic-file.js';
import { SECURITY_DIR } from './credentials.js';
import { isObject, readStateList } from './state-file.js';

export const ACCESS_KEYS_FILE = 'access-keys.json';
const FILE_VERSION = 1;

interface AccessKey {
  accessKey: string;
  secret: string;
  user: string;
}

export class AccessKeyStore {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private keys: Map<string, AccessKey>,
  ) {}

  static open(dataDir: string): AccessKeyStore {
    const dir = join(dataDir, SECURITY_DIR);
    const file = join(dir, ACCESS_KEYS_FILE);
    return new AccessKeyStore(dir, file, existsSync(file) ? load(file) : new Map());
  }

  /** A new key for the user: its secret is shown this once. */
  create(user: string): { accessKey: string; secretKey: string } {
    if (user === '' || user.length > 255) throw new Error('an access key needs a user name of 1 to 255 characters');
    const accessKey = `AK${randomBytes(12).toString('hex').toUpperCase()}`;
    const secretKey = randomBytes(24).toString('base64url');
    const keys = new Map(this.keys);
    keys.set(accessKey, { accessKey, secret: secretKey, user });
    this.save(keys);
    this.keys = keys;
    return { accessKey, secretKey };
  }

  /** True when the key existed. */
  delete(accessKey: string): boolean {
    if (!this.keys.has(accessKey)) return false;
    const keys = new Map(this.keys);
    keys.delete(accessKey);
    this.save(keys);
    this.keys = keys;
    return true;
  }

  get size(): number {
    return this.keys.size;
  }

  list(): { accessKey: string; user: string }[] {
    return [...this.keys.values()].map((k) => ({ accessKey: k.accessKey, user: k.user })).sort((a, b) => (a.accessKey < b.accessKey ? -1 : 1));
  }

  /**
   * The user a signature proves, or null: HMAC-SHA1 of `dateTime` under the
   * key's secret, upper-case hex, as the RocketMQ clients sign.
   */
  verify(accessKey: string, dateTime: string, signature: string): string | null {
    const k = this.keys.get(accessKey);
    // An unknown key costs the same HMAC, so timing tells nothing of which keys exist.
    const expected = createHmac('sha1', k?.secret ?? 'no such key').update(dateTime).digest();
    let given: Buffer;
    try {
      given = Buffer.from(signature, 'hex');
    } catch {
      return null;
    }
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return k ? k.user : null;
  }

  /** The user of a key given with its secret (an HTTP bearer token `<access key>:<secret>`), or null. */
  userOf(accessKey: string, secret: string): string | null {
    const k = this.keys.get(accessKey);
    const a = createHmac('sha256', 'compare').update(k?.secret ?? '').digest();
    const b = createHmac('sha256', 'compare').update(secret).digest();
    return k && timingSafeEqual(a, b) ? k.user : null;
  }

  private save(keys: Map<string, AccessKey>): void {
    const created = mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify({ version: FILE_VERSION, keys: [...keys.values()] }, null, 2)}\n`);
    syncDirectory(this.dir);
    if (created !== undefined) syncDirectory(dirname(this.dir));
  }
}

function load(file: string): Map<string, AccessKey> {
  const { items, fail } = readStateList(file, { what: 'access key file', version: FILE_VERSION, key: 'keys', without: 'access keys' });
  const keys = new Map<string, AccessKey>();
  for (const [i, k] of items.entries()) {
    if (!isObject(k) || typeof k.accessKey !== 'string' || typeof k.secret !== 'string' || typeof k.user !== 'string' || !k.accessKey || !k.secret || !k.user) return fail(`keys[${i}] needs accessKey, secret and user`);
    if (keys.has(k.accessKey)) return fail(`keys[${i}]: access key ${k.accessKey} is listed twice`);
    keys.set(k.accessKey, { accessKey: k.accessKey, secret: k.secret, user: k.user });
  }
  return keys;
}
