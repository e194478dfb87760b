// The ACLs, kept in <data>/__security/acls.json beside the users (replaced
// whole, atomically, and the directory synced, so an ACL change that was
// answered survives a crash; a deleted DENY coming back would be as wrong
// as an ALLOW). A file that does not parse, or holds an ACL CreateAcls
// would refuse, stops the broker with the file's name: starting with fewer
// DENY rules than the operator wrote is not a safe fallback.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import { syncDirectory } from '../../storage/sync-dir.js';
import { writeFileAtomic } from '../atomic-file.js';
import { SECURITY_DIR } from './credentials.js';
import {
  bindingKey,
  checkCreation,
  checkFilter,
  compareBindings,
  filterMatches,
  OPERATION_CODES,
  PATTERN_TYPE_CODES,
  PERMISSION_CODES,
  RESOURCE_TYPE_CODES,
  WILDCARD,
  type AclBinding,
  type AclBindingFilter,
  type AclCreation,
  type ResourceType,
} from './acls.js';
import { isObject, readStateList } from './state-file.js';

export const ACLS_FILE = 'acls.json';
const FILE_VERSION = 1;

/** One CreateAcls entry's answer. */
export interface AclCreateResult {
  error: Extract<ErrorName, 'NONE' | 'INVALID_REQUEST'>;
  message: string | null;
}

/** One DeleteAcls filter's answer: the ACLs it removed. */
export interface AclDeleteResult {
  error: Extract<ErrorName, 'NONE' | 'INVALID_REQUEST'>;
  message: string | null;
  deleted: AclBinding[];
}

/** The bindings of one resource type, by how their pattern finds a resource name. */
interface TypeIndex {
  all: AclBinding[];
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
}

export class AclStore {
  private index = new Map<ResourceType, TypeIndex>();

  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private bindings: readonly AclBinding[],
  ) {
    this.reindex();
  }

  /** Reads the store if there is one; creates nothing until the first change. */
  static open(dataDir: string): AclStore {
    const dir = join(dataDir, SECURITY_DIR);
    const file = join(dir, ACLS_FILE);
    return new AclStore(dir, file, existsSync(file) ? load(file) : []);
  }

  get count(): number {
    return this.bindings.length;
  }

  /** Every ACL, in a stable order (resource type code, name, pattern type, then the entry). */
  list(): readonly AclBinding[] {
    return this.bindings;
  }

  /** DescribeAcls: the ACLs the filter matches (an UNKNOWN in it matches none, as in Kafka). */
  describe(filter: AclBindingFilter): AclBinding[] {
    return this.bindings.filter((b) => filterMatches(filter, b));
  }

  /**
   * CreateAcls: one result per entry, in order. The valid ones are written
   * at once (one file write); an ACL that already exists is a success that
   * changes nothing, as in Kafka. Throws, with nothing changed, when the
   * file cannot be written.
   */
  create(creations: readonly AclCreation[]): AclCreateResult[] {
    const known = new Set(this.bindings.map(bindingKey));
    const added: AclBinding[] = [];
    const results = creations.map((c): AclCreateResult => {
      const checked = checkCreation(c);
      if ('error' in checked) return checked;
      const key = bindingKey(checked);
      if (!known.has(key)) {
        known.add(key);
        added.push(checked);
      }
      return { error: 'NONE', message: null };
    });
    if (added.length > 0) this.replace([...this.bindings, ...added]);
    return results;
  }

  /**
   * DeleteAcls: one result per filter, each listing every ACL it matched (an
   * ACL two filters match is listed under both, as Kafka's controller does);
   * all removed in one file write. Throws, with nothing removed, when the
   * file cannot be written.
   */
  delete(filters: readonly AclBindingFilter[]): AclDeleteResult[] {
    const removed = new Set<AclBinding>();
    const results = filters.map((f): AclDeleteResult => {
      const refused = checkFilter(f);
      if (refused) return { ...refused, deleted: [] };
      const deleted = this.describe(f);
      for (const b of deleted) removed.add(b);
      return { error: 'NONE', message: null, deleted };
    });
    if (removed.size > 0) this.replace(this.bindings.filter((b) => !removed.has(b)));
    return results;
  }

  /**
   * The ACLs whose pattern covers a resource: the literal name, the
   * literal wildcard '*', and every prefix of the name. Whatever their
   * principal, host or operation: none at all means "no ACL found".
   */
  applying(resourceType: ResourceType, name: string): AclBinding[] {
    const t = this.index.get(resourceType);
    if (!t) return [];
    const out = [...(t.literal.get(name) ?? [])];
    if (name !== WILDCARD) out.push(...(t.literal.get(WILDCARD) ?? []));
    for (const [prefix, bs] of t.prefixed) if (name.startsWith(prefix)) out.push(...bs);
    return out;
  }

  /** Every ACL on a resource type. */
  ofType(resourceType: ResourceType): readonly AclBinding[] {
    return this.index.get(resourceType)?.all ?? [];
  }

  private replace(next: AclBinding[]): void {
    next.sort(compareBindings);
    this.save(next); // throws on I/O failure, before anything changed in memory
    this.bindings = next;
    this.reindex();
  }

  private reindex(): void {
    const index = new Map<ResourceType, TypeIndex>();
    for (const b of this.bindings) {
      let t = index.get(b.resourceType);
      if (!t) index.set(b.resourceType, (t = { all: [], literal: new Map(), prefixed: new Map() }));
      t.all.push(b);
      const byName = b.patternType === 'LITERAL' ? t.literal : t.prefixed;
      byName.set(b.resourceName, [...(byName.get(b.resourceName) ?? []), b]);
    }
    this.index = index;
  }

  private save(bindings: readonly AclBinding[]): void {
    const created = mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const saved: StoredFile = { version: FILE_VERSION, acls: bindings.map((b) => ({ ...b })) };
    writeFileAtomic(this.file, `${JSON.stringify(saved, null, 2)}\n`);
    syncDirectory(this.dir);
    if (created !== undefined) syncDirectory(dirname(this.dir));
  }
}

interface StoredFile {
  version: number;
  acls: AclBinding[];
}

const FIELDS = ['resourceType', 'resourceName', 'patternType', 'principal', 'host', 'operation', 'permission'] as const;

function load(file: string): AclBinding[] {
  const { items, fail } = readStateList(file, { what: 'ACL file', version: FILE_VERSION, key: 'acls', without: 'ACLs' });
  const bindings: AclBinding[] = [];
  const seen = new Set<string>();
  for (const [i, a] of items.entries()) {
    if (!isObject(a)) return fail(`acls[${i}] is not an object`);
    const missing = FIELDS.find((k) => typeof a[k] !== 'string');
    if (missing) return fail(`acls[${i}] has no ${missing}`);
    const named = (codes: Record<string, number>, k: (typeof FIELDS)[number]): string => (Object.hasOwn(codes, a[k] as string) ? (a[k] as string) : fail(`acls[${i}]: unknown ${k} ${JSON.stringify(a[k])}`));
    const checked = checkCreation({
      resourceType: named(RESOURCE_TYPE_CODES, 'resourceType') as AclCreation['resourceType'],
      resourceName: a.resourceName as string,
      patternType: named(PATTERN_TYPE_CODES, 'patternType') as AclCreation['patternType'],
      principal: a.principal as string,
      host: a.host as string,
      operation: named(OPERATION_CODES, 'operation') as AclCreation['operation'],
      permission: named(PERMISSION_CODES, 'permission') as AclCreation['permission'],
    });
    if ('error' in checked) return fail(`acls[${i}]: ${checked.message}`);
    const key = bindingKey(checked);
    if (seen.has(key)) return fail(`acls[${i}] is listed twice`);
    seen.add(key);
    bindings.push(checked);
  }
  return bindings.sort(compareBindings);
}
