// Comparing mqlab's Kafka declarations (src/protocol/kafka/apis/*.ts) with
// Kafka's JSON message definitions as test/helpers/kafka-json-codec.ts
// parses them: a structural diff over the versions a declaration covers,
// random values of a JSON message for a version, and the mapping between a
// JSON-driven value and mqlab's shape of the same message.
//
// Only mqlab's *declarations* (plain data) are read here; its codec is never
// called from this file.
import type { Field, MessageSpec } from '../../src/protocol/kafka/schema.js';
import {
  Versions,
  defaultValue,
  sameValue,
  type FieldSpec,
  type FieldType,
  type JsonMessageSpec,
} from './kafka-json-codec.js';

// ---- the structural diff ---------------------------------------------------------

export type DiffKind =
  /** The declaration claims versions the vendored JSON does not define. */
  | 'versions-beyond-json'
  | 'api-key'
  | 'message-type'
  | 'flexible-versions'
  /** A field of the JSON, present in some declared version, that the declaration lacks. */
  | 'missing-field'
  /** A declared field the JSON does not have. */
  | 'extra-field'
  /** Same position, type and versions, another name (beyond case). */
  | 'name'
  | 'type'
  /** A struct's type name ("[]CreatableTopicConfig"): never on the wire. */
  | 'struct-name'
  | 'versions'
  | 'nullable'
  | 'tagged'
  | 'tag'
  /** Default of a field that some declared version lacks or tags: decodes and omission differ. */
  | 'default'
  /** Ignorable of a field that some declared version lacks: what a writer of that version may drop. */
  | 'ignorable'
  | 'order';

export interface Difference {
  /** "FetchResponse". */
  readonly message: string;
  /** Kafka's field names from the message root, "Responses.Partitions.SnapshotId"; "" for the message. */
  readonly path: string;
  readonly kind: DiffKind;
  readonly detail: string;
}

/**
 * Defaults that differ on fields present, untagged, in every declared
 * version: no decoded value or byte can show them (every version carries the
 * field), only what an encoder writes for a field left out of its input.
 */
export interface Note {
  readonly message: string;
  readonly path: string;
  readonly detail: string;
}

export interface Comparison {
  readonly differences: Difference[];
  readonly notes: Note[];
  /** The declared versions the JSON also defines: the ones compared. */
  readonly compared: Versions;
}

/** mqlab's "0-7" as a Versions. */
export function declaredRange(m: MessageSpec): Versions {
  return Versions.parse(m.validVersions);
}

function mqlabVersions(spec: string | undefined): Versions {
  return Versions.parse(spec);
}

function versionList(r: Versions): number[] {
  const out: number[] = [];
  if (r.empty) return out;
  if (r.hi === Infinity) throw new Error(`unbounded range ${r}`);
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}

/** Kafka's normalization of mqlab's default, as if the JSON had said it. */
function mqlabDefaultString(f: Field): string {
  const d = f.default;
  if (d === undefined) return '';
  if (d === null) return 'null';
  return String(d);
}

function defaultOfMqlab(mf: Field, jf: FieldSpec): unknown {
  return defaultValue({ ...jf, defaultString: mqlabDefaultString(mf) });
}

function describeDefault(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}

/**
 * `m` against `j` over the declared versions within `window` (all of them
 * unless a newer snapshot defines some: see the test's two snapshots).
 */
export function compareMessage(m: MessageSpec, j: JsonMessageSpec, window: Versions = Versions.ALL): Comparison {
  const differences: Difference[] = [];
  const notes: Note[] = [];
  const declared = declaredRange(m).intersect(window);
  const add = (path: string, kind: DiffKind, detail: string): void => {
    differences.push({ message: m.name, path, kind, detail });
  };
  if (!j.validVersions.contains(declared)) {
    add('', 'versions-beyond-json', `declares ${declared}, the vendored ${j.name}.json defines ${j.validVersions}`);
  }
  if (m.apiKey !== j.apiKey) add('', 'api-key', `declared ${m.apiKey}, JSON ${j.apiKey}`);
  if (m.type !== j.type) add('', 'message-type', `declared ${m.type}, JSON ${j.type}`);
  const range = declared.intersect(j.validVersions);
  const mFlex = mqlabVersions(m.flexibleVersions).intersect(range);
  const jFlex = j.flexibleVersions.intersect(range);
  if (!mFlex.equals(jFlex)) add('', 'flexible-versions', `flexible in ${mFlex} of ${range}, JSON in ${jFlex}`);
  const note = (path: string, detail: string): void => {
    notes.push({ message: m.name, path, detail });
  };
  compareFields(m.fields, j.fields, range, j.flexibleVersions, '', add, note);
  return { differences, notes, compared: range };
}

/** mqlab's fields paired with the JSON's: by name ignoring case, then leftovers of the same shape by position. */
export function pairFields(mFields: readonly Field[], jFields: readonly FieldSpec[]): Pairing {
  let byJson = pairings.get(mFields);
  if (byJson === undefined) pairings.set(mFields, (byJson = new WeakMap()));
  let pairing = byJson.get(jFields);
  if (pairing === undefined) byJson.set(jFields, (pairing = pair(mFields, jFields)));
  return pairing;
}

interface Pairing {
  readonly pairs: ReadonlyArray<readonly [Field, FieldSpec]>;
  readonly onlyM: readonly Field[];
  readonly onlyJ: readonly FieldSpec[];
}

const pairings = new WeakMap<readonly Field[], WeakMap<readonly FieldSpec[], Pairing>>();

function pair(mFields: readonly Field[], jFields: readonly FieldSpec[]): Pairing {
  const pairs: Array<[Field, FieldSpec]> = [];
  const onlyJ = [...jFields];
  const onlyM: Field[] = [];
  for (const mf of mFields) {
    const i = onlyJ.findIndex((jf) => jf.name.toLowerCase() === mf.name.toLowerCase());
    if (i >= 0) pairs.push([mf, onlyJ.splice(i, 1)[0]!]);
    else onlyM.push(mf);
  }
  // A renamed field: same type and versions, another name.
  for (const mf of [...onlyM]) {
    const i = onlyJ.findIndex((jf) => jf.typeString === mf.type && Versions.parse(mf.versions).equals(jf.versions));
    if (i >= 0) {
      pairs.push([mf, onlyJ.splice(i, 1)[0]!]);
      onlyM.splice(onlyM.indexOf(mf), 1);
    }
  }
  return { pairs, onlyM, onlyJ };
}

function typeShape(t: FieldType): string {
  if (t.kind === 'array') return `[]${typeShape(t.element)}`;
  return t.kind === 'struct' ? 'struct' : t.name;
}

function mqlabShape(f: Field): string {
  const array = f.type.startsWith('[]');
  const base = f.fields !== undefined ? 'struct' : f.type.replace(/^\[\]/, '');
  return array ? `[]${base}` : base;
}

function compareFields(
  mFields: readonly Field[],
  jFields: readonly FieldSpec[],
  range: Versions,
  flexible: Versions,
  parent: string,
  add: (path: string, kind: DiffKind, detail: string) => void,
  note: (path: string, detail: string) => void,
): void {
  const at = (name: string): string => (parent === '' ? name : `${parent}.${name}`);
  const { pairs, onlyM, onlyJ } = pairFields(mFields, jFields);
  for (const jf of onlyJ) {
    const present = jf.versions.intersect(range);
    if (present.empty) continue; // beyond the declared versions
    const tagged = jf.taggedVersions.intersect(present);
    add(at(jf.name), 'missing-field', `${jf.typeString} in versions ${present}${tagged.empty ? '' : `, tagged (tag ${jf.tag}) in ${tagged}`}`);
  }
  for (const mf of onlyM) {
    const present = mqlabVersions(mf.versions).intersect(range);
    if (!present.empty) add(at(mf.name), 'extra-field', `${mf.type} in versions ${present}: not in the JSON`);
  }

  for (const [mf, jf] of pairs) {
    const path = at(jf.name);
    if (mf.name.toLowerCase() !== jf.name.toLowerCase()) add(path, 'name', `declared as ${mf.name}`);
    const mv = mqlabVersions(mf.versions).intersect(range);
    const jv = jf.versions.intersect(range);
    if (!mv.equals(jv)) add(path, 'versions', `present in ${mv}, JSON ${jv} (of ${range})`);
    const both = mv.intersect(jv);
    if (both.empty) continue;
    const mShape = mqlabShape(mf);
    const jShape = typeShape(jf.type);
    if (mShape !== jShape) {
      add(path, 'type', `declared ${mf.type}, JSON ${jf.typeString}`);
      continue;
    }
    if (jShape.endsWith('struct') && mf.type !== jf.typeString) add(path, 'struct-name', `declared ${mf.type}, JSON ${jf.typeString}`);
    // mqlab's declarations cannot say it: a field serialized unlike its message (RequestHeader's ClientId).
    if (jf.flexibleVersions !== undefined && !jf.flexibleVersions.intersect(both).equals(flexible.intersect(both))) {
      add(path, 'flexible-versions', `the JSON makes it flexible in ${jf.flexibleVersions.intersect(both)} only`);
    }
    const mNull = mqlabVersions(mf.nullableVersions).intersect(both);
    const jNull = jf.nullableVersions.intersect(both);
    if (!mNull.equals(jNull)) add(path, 'nullable', `nullable in ${mNull}, JSON ${jNull} (of ${both})`);
    const mTagged = mqlabVersions(mf.taggedVersions).intersect(both);
    const jTagged = jf.taggedVersions.intersect(both);
    if (!mTagged.equals(jTagged)) add(path, 'tagged', `tagged in ${mTagged}, JSON ${jTagged} (of ${both})`);
    else if (!jTagged.empty && mf.tag !== jf.tag) add(path, 'tag', `tag ${mf.tag}, JSON ${jf.tag}`);

    // Where a declared version lacks the field, its default is what that
    // version decodes to and its ignorability decides whether a writer may
    // drop a value; where it is tagged, the default decides whether it is
    // written at all.
    const absentSomewhere = !jv.equals(range);
    const mDefault = defaultOfMqlab(mf, jf);
    const jDefault = defaultValue(jf);
    if (!sameValue(jf.type, mDefault, jDefault)) {
      const detail = `default ${describeDefault(mDefault)}, JSON ${describeDefault(jDefault)}`;
      if (absentSomewhere || !jTagged.empty) add(path, 'default', detail);
      else note(path, detail);
    }
    if (absentSomewhere && (mf.ignorable === true) !== jf.ignorable) {
      add(path, 'ignorable', `ignorable ${mf.ignorable === true}, JSON ${jf.ignorable} (absent from ${range} outside ${jv})`);
    }
    if (mf.fields !== undefined && jf.type.kind !== 'primitive') {
      const struct = jf.type.kind === 'array' ? (jf.type.element as Extract<FieldType, { kind: 'struct' }>).struct : jf.type.struct;
      compareFields(mf.fields, struct.fields, both, flexible, path, add, note);
    }
  }

  // Order on the wire: per version, the untagged fields present, in order.
  const pairOf = new Map(pairs.map(([mf, jf]) => [mf, jf.name]));
  for (const v of versionList(range)) {
    const mSeq = mFields
      .filter((f) => mqlabVersions(f.versions).has(v) && !mqlabVersions(f.taggedVersions).has(v))
      .map((f) => pairOf.get(f) ?? `(${f.name})`);
    const jSeq = jFields.filter((f) => f.versions.has(v) && !f.taggedVersions.has(v)).map((f) => f.name);
    if (mSeq.join() !== jSeq.join() && mSeq.length === jSeq.length && [...mSeq].sort().join() === [...jSeq].sort().join()) {
      add(parent, 'order', `v${v}: declared ${mSeq.join(', ')}; JSON ${jSeq.join(', ')}`);
      break;
    }
  }
}

// ---- allow-listed deviations --------------------------------------------------------

export interface Deviation {
  readonly message: string;
  readonly path: string;
  readonly kind: DiffKind;
  /** Why mqlab deliberately differs: required. */
  readonly reason: string;
}

export function matches(d: Difference, a: Deviation): boolean {
  return d.message === a.message && d.path === a.path && d.kind === a.kind;
}

// ---- random values of a JSON message ------------------------------------------------

/** A small seeded generator (mulberry32): the same seed, the same messages. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

const INT_EDGES: Record<string, [number, number]> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
};

// Single-byte, two-, three- and four-byte UTF-8 (the last a surrogate pair in JS).
const ALPHABET = ['a', 'Z', '0', '.', '_', '-', ' ', 'é', 'ж', '中', '😀'];

interface GenContext {
  readonly rng: Rng;
  readonly version: number;
  /** How many arrays deep we are: arrays get shorter further down. */
  readonly depth: number;
  readonly options: RandomOptions;
}

/**
 * A random value of `fields` for `version`: fields the version lacks at their
 * defaults (a writer of that version may not carry anything else), tagged
 * fields half the time at their defaults (and so not written), nullable ones
 * sometimes null.
 */
export function randomStruct(fields: readonly FieldSpec[], rng: Rng, version: number, options: RandomOptions = {}, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ctx = { rng, version, depth, options };
  for (const f of fields) {
    if (!f.versions.has(version)) {
      out[f.key] = options.absentNoise !== undefined && rng.chance(options.absentNoise) ? randomOfType(f.type, ctx) : defaultValue(f);
    } else if (f.taggedVersions.has(version) && rng.chance(0.5)) {
      out[f.key] = defaultValue(f);
    } else {
      out[f.key] = randomField(f, ctx);
    }
  }
  return out;
}

export interface RandomOptions {
  /**
   * How often a field the version lacks gets a random value anyway: a writer
   * must then drop it silently (an ignorable field, or a value that happens
   * to be the default) or refuse the message.
   */
  readonly absentNoise?: number;
}

function randomField(f: FieldSpec, ctx: GenContext): unknown {
  if (f.nullableVersions.has(ctx.version) && ctx.rng.chance(0.15)) return null;
  return randomOfType(f.type, ctx);
}

function randomOfType(t: FieldType, ctx: GenContext): unknown {
  const { rng } = ctx;
  if (t.kind === 'struct') return randomStruct(t.struct.fields, rng, ctx.version, ctx.options, ctx.depth);
  if (t.kind === 'array') {
    const n = rng.int(0, ctx.depth >= 2 ? 1 : 3);
    const inner = { ...ctx, depth: ctx.depth + 1 };
    return Array.from({ length: n }, () => randomOfType(t.element, inner));
  }
  switch (t.name) {
    case 'bool':
      return rng.chance(0.5);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [lo, hi] = INT_EDGES[t.name]!;
      const r = rng.next();
      if (r < 0.1) return lo;
      if (r < 0.2) return hi;
      if (r < 0.3) return lo < 0 ? -1 : 0;
      if (r < 0.4) return 0;
      return lo + Math.floor(rng.next() * (hi - lo + 1));
    }
    case 'int64': {
      const r = rng.next();
      if (r < 0.1) return -(2n ** 63n);
      if (r < 0.2) return 2n ** 63n - 1n;
      if (r < 0.3) return -1n;
      return BigInt.asIntN(64, BigInt(`0x${rng.bytes(8).toString('hex')}`));
    }
    case 'float64':
      return rng.pick([0, -1.5, Math.PI, 1e300, -Number.MIN_VALUE, rng.next() * 1e6 - 5e5]);
    case 'string': {
      const n = rng.int(0, 12);
      let s = '';
      for (let i = 0; i < n; i++) s += rng.pick(ALPHABET);
      return s;
    }
    case 'uuid': {
      const h = rng.bytes(16).toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    }
    case 'bytes':
    case 'records':
      return rng.bytes(rng.int(0, 16));
  }
}

// ---- between a JSON-driven value and mqlab's shape ------------------------------------

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function structOf(t: FieldType): Extract<FieldType, { kind: 'struct' }> | undefined {
  if (t.kind === 'struct') return t;
  if (t.kind === 'array' && t.element.kind === 'struct') return t.element;
  return undefined;
}

/**
 * A JSON-driven value as mqlab's codec takes and gives it: mqlab's field
 * names (camelCased), only the fields mqlab declares. Fields the JSON has and
 * mqlab lacks are dropped.
 */
export function toMqlab(value: Record<string, unknown>, mFields: readonly Field[], jFields: readonly FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mf, jf] of pairFields(mFields, jFields).pairs) {
    out[camel(mf.name)] = convert(value[jf.key], mf, jf, toMqlab);
  }
  return out;
}

/** The other way: mqlab's shape to a JSON-driven value, fields mqlab lacks at their JSON defaults. */
export function fromMqlab(value: Record<string, unknown>, mFields: readonly Field[], jFields: readonly FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { pairs } = pairFields(mFields, jFields);
  for (const jf of jFields) {
    const pair = pairs.find(([, j]) => j === jf);
    out[jf.key] = pair === undefined ? defaultValue(jf) : convert(value[camel(pair[0].name)], pair[0], jf, (v, m, j) => fromMqlab(v, m, j));
  }
  return out;
}

/**
 * A value mqlab decoded, without the fields (at any depth) that the JSON
 * lacks: those of an older definition, from before Kafka added them
 * (ProduceRequest v0-2 against 3.9's, which has no TopicId). mqlab decodes
 * them to its defaults, which that definition says nothing about; one that a
 * version carries on the wire is the structural diff's to report.
 */
export function inJson(value: Record<string, unknown>, mFields: readonly Field[], jFields: readonly FieldSpec[]): Record<string, unknown> {
  return toMqlab(fromMqlab(value, mFields, jFields), mFields, jFields);
}

type StructMap = (v: Record<string, unknown>, m: readonly Field[], j: readonly FieldSpec[]) => Record<string, unknown>;

function convert(v: unknown, mf: Field, jf: FieldSpec, map: StructMap): unknown {
  const s = structOf(jf.type);
  if (v === null || v === undefined || s === undefined || mf.fields === undefined) return v;
  if (Array.isArray(v)) return v.map((e) => map(e as Record<string, unknown>, mf.fields!, s.struct.fields));
  return map(v as Record<string, unknown>, mf.fields, s.struct.fields);
}
