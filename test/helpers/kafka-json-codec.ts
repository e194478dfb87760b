// A second Kafka codec, for tests only: it reads Kafka's own JSON message
// definitions (test/fixtures/kafka-messages/, vendored verbatim) and encodes
// and decodes messages from them, so mqlab's hand-transcribed declarations
// and its codec (src/protocol/kafka) can be checked against something that
// shares no code and no tables with them. Nothing here imports from src/.
//
// Written from Kafka's documented rules: the message README next to the JSON
// files (field types, versions, nullableVersions, taggedVersions, defaults,
// ignorable), the protocol guide (https://kafka.apache.org/protocol.html:
// primitive wire forms, compact types, tagged fields) and KIP-482 (flexible
// versions, request header v2 / response header v1) and KIP-511
// (ApiVersions responses keep header v0). What Kafka's MessageGenerator does
// at the edges (when a tagged field is written, what an absent field
// decodes to, when writing a version that lacks a field is refused) is
// described where it is implemented.
//
// Values are plain objects keyed as Kafka's generated classes name their
// fields (the JSON name with its first letter lowered), every field present:
//   bool → boolean; int8/int16/uint16/int32/uint32/float64 → number;
//   int64 → bigint; string → string; uuid → "xxxxxxxx-xxxx-…" (lower case);
//   bytes and records → Buffer; arrays → arrays; structs → objects;
//   null where the field is nullable in that version.

// ---- JSON with comments ----------------------------------------------------

/** Kafka's message files are JSON plus `//` line comments; drops the comments (never inside strings). */
export function stripLineComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function parseJsonWithComments(text: string): unknown {
  return JSON.parse(stripLineComments(text));
}

// ---- version ranges ----------------------------------------------------------

/** A version range as the JSON writes it: "none", "3", "1-4", "2+". */
export class Versions {
  static readonly NONE = new Versions(1, 0);
  static readonly ALL = new Versions(0, Infinity);

  constructor(
    readonly lo: number,
    /** Infinity for "N+". */
    readonly hi: number,
  ) {}

  static parse(spec: string | undefined, ifMissing: Versions = Versions.NONE): Versions {
    if (spec === undefined) return ifMissing;
    const s = spec.trim();
    if (s === 'none') return Versions.NONE;
    let m = /^(\d+)\+$/.exec(s);
    if (m) return new Versions(Number(m[1]), Infinity);
    m = /^(\d+)-(\d+)$/.exec(s);
    if (m) return new Versions(Number(m[1]), Number(m[2]));
    m = /^(\d+)$/.exec(s);
    if (m) return new Versions(Number(m[1]), Number(m[1]));
    throw new Error(`bad version range "${spec}"`);
  }

  get empty(): boolean {
    return this.lo > this.hi;
  }

  has(v: number): boolean {
    return v >= this.lo && v <= this.hi;
  }

  intersect(o: Versions): Versions {
    const lo = Math.max(this.lo, o.lo);
    const hi = Math.min(this.hi, o.hi);
    return lo > hi ? Versions.NONE : new Versions(lo, hi);
  }

  contains(o: Versions): boolean {
    return o.empty || (o.lo >= this.lo && o.hi <= this.hi);
  }

  equals(o: Versions): boolean {
    return (this.empty && o.empty) || (this.lo === o.lo && this.hi === o.hi);
  }

  toString(): string {
    if (this.empty) return 'none';
    if (this.hi === Infinity) return `${this.lo}+`;
    return this.lo === this.hi ? `${this.lo}` : `${this.lo}-${this.hi}`;
  }
}

// ---- the parsed specification -----------------------------------------------

export const PRIMITIVES = ['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records'] as const;
export type PrimitiveName = (typeof PRIMITIVES)[number];

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly name: string; readonly struct: StructSpec }
  | { readonly kind: 'array'; readonly element: FieldType };

export interface FieldSpec {
  /** As the JSON spells it ("ThrottleTimeMs", or "timeoutMs"). */
  readonly name: string;
  /** The key in a value: Kafka's camelCaseName, the name with its first letter lowered. */
  readonly key: string;
  /** As the JSON writes it: "int32", "[]FetchTopic", "LeaderIdAndEpoch". */
  readonly typeString: string;
  readonly type: FieldType;
  readonly versions: Versions;
  readonly nullableVersions: Versions;
  readonly taggedVersions: Versions;
  readonly tag: number | undefined;
  /** A field's own flexibleVersions (RequestHeader's ClientId: "none"); else the message's. */
  readonly flexibleVersions: Versions | undefined;
  readonly ignorable: boolean;
  /** The JSON's "default" as a string ("" when not given), as Kafka's FieldSpec keeps it. */
  readonly defaultString: string;
  /** "Topics.Partitions.Records", for messages. */
  readonly path: string;
}

export interface StructSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

export interface JsonMessageSpec {
  readonly name: string;
  readonly type: string;
  readonly apiKey: number | undefined;
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions;
  /** The newest version is still being designed: Kafka's brokers do not advertise it. */
  readonly latestVersionUnstable: boolean;
  readonly fields: readonly FieldSpec[];
  /** Every struct type the message defines (inline or common), by name. */
  readonly structs: ReadonlyMap<string, StructSpec>;
}

interface RawField {
  name?: unknown;
  type?: unknown;
  versions?: unknown;
  nullableVersions?: unknown;
  taggedVersions?: unknown;
  tag?: unknown;
  flexibleVersions?: unknown;
  ignorable?: unknown;
  default?: unknown;
  fields?: unknown;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Parses a message definition (the text of one of Kafka's JSON files). */
export function parseMessageSpec(text: string): JsonMessageSpec {
  const raw = parseJsonWithComments(text) as Record<string, unknown>;
  const name = str(raw.name, 'message name');
  const validVersions = Versions.parse(str(raw.validVersions, `${name}.validVersions`));
  const flexibleVersions = Versions.parse(str(raw.flexibleVersions, `${name}.flexibleVersions`));
  const structs = new Map<string, StructSpec>();
  // Common structs first: fields anywhere may name them.
  const common = (raw.commonStructs ?? []) as Array<{ name: string; versions?: string; fields: RawField[] }>;
  const pendingCommon: Array<{ spec: { name: string; fields: FieldSpec[] }; raw: RawField[] }> = [];
  for (const c of common) {
    const spec = { name: str(c.name, 'common struct name'), fields: [] as FieldSpec[] };
    if (structs.has(spec.name)) throw new Error(`${name}: struct ${spec.name} defined twice`);
    structs.set(spec.name, spec);
    pendingCommon.push({ spec, raw: c.fields });
  }
  const ctx = { message: name, flexibleVersions, structs };
  for (const { spec, raw: fields } of pendingCommon) {
    spec.fields.push(...fields.map((f) => parseField(f, ctx, spec.name)));
  }
  const fields = ((raw.fields ?? []) as RawField[]).map((f) => parseField(f, ctx, ''));
  const apiKey = raw.apiKey === undefined ? undefined : Number(raw.apiKey);
  const latestVersionUnstable = raw.latestVersionUnstable === true;
  return { name, type: str(raw.type, `${name}.type`), apiKey, validVersions, flexibleVersions, latestVersionUnstable, fields, structs };
}

interface ParseContext {
  readonly message: string;
  readonly flexibleVersions: Versions;
  readonly structs: Map<string, StructSpec>;
}

function parseField(raw: RawField, ctx: ParseContext, parentPath: string): FieldSpec {
  const name = str(raw.name, `${ctx.message}: field name`);
  const path = parentPath === '' ? name : `${parentPath}.${name}`;
  const where = `${ctx.message} ${path}`;
  const typeString = str(raw.type, `${where}: type`);
  const versions = Versions.parse(str(raw.versions, `${where}: versions`));
  const nullableVersions = Versions.parse(raw.nullableVersions === undefined ? undefined : str(raw.nullableVersions, where));
  const taggedVersions = Versions.parse(raw.taggedVersions === undefined ? undefined : str(raw.taggedVersions, where));
  const flexibleVersions = raw.flexibleVersions === undefined ? undefined : Versions.parse(str(raw.flexibleVersions, where));
  const tag = raw.tag === undefined ? undefined : Number(raw.tag);
  // Kafka's FieldSpec reads "default" as text; a bare JSON number (there is one:
  // InitProducerIdResponse's ProducerId) is the same default.
  const defaultString = raw.default === undefined ? '' : String(raw.default);
  const ignorable = raw.ignorable === true || raw.ignorable === 'true';

  const type = parseType(typeString, raw, ctx, path);
  const base = elementOf(type);
  if (!nullableVersions.empty) {
    const nullableOk = type.kind === 'array' || type.kind === 'struct' || ['string', 'bytes', 'uuid', 'records'].includes((base as { name: string }).name);
    if (!nullableOk) throw new Error(`${where}: type ${typeString} cannot be nullable`);
  }
  if (taggedVersions.empty !== (tag === undefined)) throw new Error(`${where}: a tag needs taggedVersions and the other way round`);
  if (!taggedVersions.empty) {
    if (taggedVersions.hi !== Infinity) throw new Error(`${where}: taggedVersions must be open-ended`);
    if (!(flexibleVersions ?? ctx.flexibleVersions).contains(taggedVersions)) throw new Error(`${where}: tagged outside flexible versions`);
    if (type.kind === 'primitive' && type.name === 'records') throw new Error(`${where}: records cannot be tagged`);
  }
  if (defaultString === 'null' && !nullableVersions.contains(versions)) {
    throw new Error(`${where}: a null default needs the field nullable in all its versions`);
  }
  return {
    name,
    key: lowerFirst(name),
    typeString,
    type,
    versions,
    nullableVersions,
    taggedVersions,
    tag,
    flexibleVersions,
    ignorable,
    defaultString,
    path,
  };
}

function elementOf(type: FieldType): FieldType {
  return type.kind === 'array' ? type.element : type;
}

function parseType(typeString: string, raw: RawField, ctx: ParseContext, path: string): FieldType {
  if (typeString.startsWith('[]')) {
    const element = parseType(typeString.slice(2), raw, ctx, path);
    if (element.kind === 'array') throw new Error(`${ctx.message} ${path}: nested arrays`);
    if (element.kind === 'primitive' && element.name === 'records') throw new Error(`${ctx.message} ${path}: array of records`);
    return { kind: 'array', element };
  }
  if ((PRIMITIVES as readonly string[]).includes(typeString)) {
    if (raw.fields !== undefined) throw new Error(`${ctx.message} ${path}: a ${typeString} has no fields`);
    return { kind: 'primitive', name: typeString as PrimitiveName };
  }
  // A struct: defined here when the field lists fields, else a common struct
  // (or one defined inline elsewhere in the message) of that name.
  if (raw.fields !== undefined) {
    if (ctx.structs.has(typeString)) throw new Error(`${ctx.message} ${path}: struct ${typeString} defined twice`);
    const spec = { name: typeString, fields: [] as FieldSpec[] };
    ctx.structs.set(typeString, spec);
    spec.fields.push(...(raw.fields as RawField[]).map((f) => parseField(f, ctx, path)));
    return { kind: 'struct', name: typeString, struct: spec };
  }
  const known = ctx.structs.get(typeString);
  if (known === undefined) throw new Error(`${ctx.message} ${path}: unknown type ${typeString}`);
  return { kind: 'struct', name: typeString, struct: known };
}

// ---- defaults ----------------------------------------------------------------

export const ZERO_UUID_STRING = '00000000-0000-0000-0000-000000000000';

function parseIntDefault(s: string, where: string): bigint {
  // Kafka's generator reads "0x…" as hex and anything else as decimal.
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(body)) throw new Error(`${where}: bad integer default "${s}"`);
  const v = BigInt(body.startsWith('0x') ? body : body.replace(/^0+(?=\d)/, ''));
  return neg ? -v : v;
}

function uuidFromBytes(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A field's default value, as the README's "Deserializing Messages" and
 * "Custom Default Values" sections give it: 0, false, "", empty bytes,
 * the zero UUID, null records, empty arrays and all-default structs unless
 * the JSON says otherwise ("null" for nullable strings, bytes, arrays, structs).
 */
export function defaultValue(field: FieldSpec): unknown {
  const t = field.type;
  const shared = t.kind === 'primitive' && t.name !== 'bytes';
  if (shared && sharedDefaults.has(field)) return sharedDefaults.get(field);
  const v = computeDefault(field);
  if (shared) sharedDefaults.set(field, v);
  return v;
}

// Numbers, strings, booleans and null can be shared; arrays, structs and buffers are made afresh.
const sharedDefaults = new WeakMap<FieldSpec, unknown>();

function computeDefault(field: FieldSpec): unknown {
  const d = field.defaultString;
  const where = `${field.path}`;
  const t = field.type;
  if (t.kind === 'array') {
    if (d === 'null') return null;
    if (d !== '') throw new Error(`${where}: an array default can only be null`);
    return [];
  }
  if (t.kind === 'struct') {
    if (d === 'null') return null;
    if (d !== '') throw new Error(`${where}: a struct default can only be null`);
    return defaultStruct(t.struct);
  }
  switch (t.name) {
    case 'bool':
      if (d === '') return false;
      if (d.toLowerCase() === 'true') return true;
      if (d.toLowerCase() === 'false') return false;
      throw new Error(`${where}: bad bool default "${d}"`);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      if (d === '') return 0;
      const v = parseIntDefault(d, where);
      const [lo, hi] = INT_RANGES[t.name];
      if (v < BigInt(lo) || v > BigInt(hi)) throw new Error(`${where}: default ${d} out of range`);
      return Number(v);
    }
    case 'int64':
      return d === '' ? 0n : BigInt.asIntN(64, parseIntDefault(d, where));
    case 'float64':
      return d === '' ? 0 : Number.parseFloat(d);
    case 'string':
      return d === 'null' ? null : d;
    case 'uuid':
      // Kafka writes a UUID default in URL-safe base64, as Uuid.toString does.
      return d === '' ? ZERO_UUID_STRING : uuidFromBytes(Buffer.from(d, 'base64url'));
    case 'bytes':
      if (d === 'null') return null;
      if (d !== '') throw new Error(`${where}: a bytes default can only be empty or null`);
      return Buffer.alloc(0);
    case 'records':
      return null;
  }
}

export function defaultStruct(struct: StructSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of struct.fields) out[f.key] = defaultValue(f);
  return out;
}

const INT_RANGES = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
} as const;

/** Deep equality of two values of one type, as Java's equals on generated classes (float64 by Double.compare). */
export function sameValue(type: FieldType, a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  if (type.kind === 'array') {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((e, i) => sameValue(type.element, e, y[i]));
  }
  if (type.kind === 'struct') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    return type.struct.fields.every((f) => sameValue(f.type, x[f.key], y[f.key]));
  }
  switch (type.name) {
    case 'bytes':
    case 'records':
      return Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array)) === 0;
    case 'float64':
      return Object.is(a, b);
    case 'uuid':
      return String(a).toLowerCase() === String(b).toLowerCase();
    default:
      return a === b;
  }
}

/**
 * Kafka's "non-default value" test, the one its generated code applies before
 * writing a tagged field and before refusing to drop a non-ignorable field
 * from a version that lacks it.
 */
export function isDefault(field: FieldSpec, value: unknown): boolean {
  return sameValue(field.type, value, defaultValue(field));
}

// ---- bytes out -------------------------------------------------------------

/** A growable byte buffer with the protocol's primitive writers. */
export class ByteSink {
  private buf = Buffer.alloc(256);
  private length = 0;

  get size(): number {
    return this.length;
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  int(name: keyof typeof INT_RANGES, v: unknown): void {
    const [lo, hi] = INT_RANGES[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new Error(`${String(v)} is not an ${name}`);
    const sizes = { int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4 } as const;
    this.room(sizes[name]);
    const b = this.buf;
    switch (name) {
      case 'int8':
        this.length = b.writeInt8(v, this.length);
        return;
      case 'int16':
        this.length = b.writeInt16BE(v, this.length);
        return;
      case 'uint16':
        this.length = b.writeUInt16BE(v, this.length);
        return;
      case 'int32':
        this.length = b.writeInt32BE(v, this.length);
        return;
      case 'uint32':
        this.length = b.writeUInt32BE(v, this.length);
        return;
    }
  }

  int64(v: unknown): void {
    if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) throw new Error(`${String(v)} is not an int64 bigint`);
    this.room(8);
    this.length = this.buf.writeBigInt64BE(v, this.length);
  }

  float64(v: unknown): void {
    if (typeof v !== 'number') throw new Error(`${String(v)} is not a float64`);
    this.room(8);
    this.length = this.buf.writeDoubleBE(v, this.length);
  }

  /** 7 bits a byte, least significant group first, high bit set on all but the last. */
  unsignedVarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new Error(`${v} does not fit an unsigned varint`);
    this.room(5);
    let rest = v;
    do {
      let byte = rest % 128;
      rest = Math.floor(rest / 128);
      if (rest > 0) byte += 128;
      this.buf[this.length++] = byte;
    } while (rest > 0);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

// ---- bytes in ----------------------------------------------------------------

export class ByteSource {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
    private readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  take(n: number): Buffer {
    if (n < 0 || n > this.remaining) throw new Error(`needs ${n} bytes at ${this.pos}, ${this.remaining} left`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  int(name: keyof typeof INT_RANGES): number {
    switch (name) {
      case 'int8':
        return this.take(1).readInt8(0);
      case 'int16':
        return this.take(2).readInt16BE(0);
      case 'uint16':
        return this.take(2).readUInt16BE(0);
      case 'int32':
        return this.take(4).readInt32BE(0);
      case 'uint32':
        return this.take(4).readUInt32BE(0);
    }
  }

  int64(): bigint {
    return this.take(8).readBigInt64BE(0);
  }

  float64(): number {
    return this.take(8).readDoubleBE(0);
  }

  unsignedVarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.take(1)[0]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffff_ffff) throw new Error('unsigned varint overflows 32 bits');
        return value;
      }
    }
    throw new Error('unsigned varint longer than 5 bytes');
  }

  /** A reader over the next `n` bytes, which it skips here. */
  sub(n: number): ByteSource {
    const start = this.pos;
    this.take(n);
    return new ByteSource(this.buf, start, start + n);
  }
}

// ---- encoding ----------------------------------------------------------------

interface Ctx {
  readonly version: number;
  /** The message's flexible versions: whether structs end with a tagged-field section. */
  readonly messageFlexible: boolean;
  readonly messageFlexibleVersions: Versions;
}

function isFlexibleField(field: FieldSpec, ctx: Ctx): boolean {
  return (field.flexibleVersions ?? ctx.messageFlexibleVersions).has(ctx.version);
}

/** Encodes `value` as `spec` at `version`. */
export function encodeMessage(spec: JsonMessageSpec, version: number, value: unknown): Buffer {
  if (!spec.validVersions.has(version)) throw new Error(`${spec.name} has no version ${version} (${spec.validVersions})`);
  const ctx: Ctx = { version, messageFlexible: spec.flexibleVersions.has(version), messageFlexibleVersions: spec.flexibleVersions };
  const out = new ByteSink();
  writeStruct(out, spec.fields, value, ctx, spec.name);
  return out.toBuffer();
}

function writeStruct(out: ByteSink, fields: readonly FieldSpec[], value: unknown, ctx: Ctx, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!fields.some((f) => f.key === key)) throw new Error(`${where}: "${key}" is not a field`);
  }
  const tagged: FieldSpec[] = [];
  for (const f of fields) {
    const v = f.key in obj ? obj[f.key] : defaultValue(f);
    if (!f.versions.has(ctx.version)) {
      // Kafka refuses to drop a non-default value of a field the version
      // lacks, unless the field is "ignorable".
      if (!f.ignorable && !isDefault(f, v)) throw new Error(`${f.path}: non-default value in version ${ctx.version}, which lacks the field`);
      continue;
    }
    if (f.taggedVersions.has(ctx.version)) {
      tagged.push(f);
      continue;
    }
    writeField(out, f, v, ctx, false);
  }
  if (!ctx.messageFlexible) {
    if (tagged.length > 0) throw new Error(`${where}: tagged fields in a version that is not flexible`);
    return;
  }
  // The tagged-field section: a count, then per field in ascending tag order
  // its tag, its size and its bytes. Written only when the value differs
  // from the default, except that a null in a nullable field whose default
  // is not null is written (as a compact null: size 1, byte 0).
  const bodies: Array<[number, Buffer]> = [];
  for (const f of [...tagged].sort((a, b) => a.tag! - b.tag!)) {
    const v = f.key in obj ? obj[f.key] : defaultValue(f);
    if (v === null) {
      if (f.defaultString === 'null') continue;
      if (!f.nullableVersions.has(ctx.version)) throw new Error(`${f.path}: null in version ${ctx.version}, where it is not nullable`);
      bodies.push([f.tag!, Buffer.from([0])]);
      continue;
    }
    if (f.defaultString !== 'null' && isDefault(f, v)) continue;
    const body = new ByteSink();
    writeField(body, f, v, ctx, true);
    bodies.push([f.tag!, body.toBuffer()]);
  }
  out.unsignedVarint(bodies.length);
  for (const [tag, body] of bodies) {
    out.unsignedVarint(tag);
    out.unsignedVarint(body.length);
    out.raw(body);
  }
}

function writeField(out: ByteSink, f: FieldSpec, v: unknown, ctx: Ctx, tagged: boolean): void {
  const nullable = f.nullableVersions.has(ctx.version);
  if (v === null && !nullable) throw new Error(`${f.path}: null in version ${ctx.version}, where it is not nullable`);
  const flexible = tagged || isFlexibleField(f, ctx);
  const t = f.type;
  if (t.kind === 'struct') {
    // A nullable struct carries a presence marker: an int8 (-1 null, 1
    // present), or in a tagged field an unsigned varint (0 null, 1 present).
    if (nullable) {
      if (tagged) out.unsignedVarint(v === null ? 0 : 1);
      else out.int('int8', v === null ? -1 : 1);
      if (v === null) return;
    }
    writeStruct(out, t.struct.fields, v, ctx, f.path);
    return;
  }
  if (t.kind === 'array') {
    if (v !== null && !Array.isArray(v)) throw new Error(`${f.path}: expected an array`);
    writeLength(out, v === null ? -1 : (v as unknown[]).length, flexible, 'int32');
    if (v === null) return;
    for (const e of v as unknown[]) {
      if (e === null || e === undefined) throw new Error(`${f.path}: null array element`);
      if (t.element.kind === 'struct') writeStruct(out, t.element.struct.fields, e, ctx, f.path);
      else if (t.element.kind === 'primitive') writePrimitive(out, t.element.name, e, flexible, f.path);
      else throw new Error(`${f.path}: nested arrays`);
    }
    return;
  }
  writePrimitive(out, t.name, v, flexible, f.path);
}

/** A length or count: int16/int32 (-1 for null), or in flexible versions an unsigned varint of length + 1 (0 for null). */
function writeLength(out: ByteSink, length: number, flexible: boolean, classic: 'int16' | 'int32'): void {
  if (flexible) out.unsignedVarint(length + 1);
  else out.int(classic, length);
}

function writePrimitive(out: ByteSink, name: PrimitiveName, v: unknown, flexible: boolean, where: string): void {
  switch (name) {
    case 'bool':
      if (typeof v !== 'boolean') throw new Error(`${where}: ${String(v)} is not a bool`);
      out.int('int8', v ? 1 : 0);
      return;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      out.int(name, v);
      return;
    case 'int64':
      out.int64(v);
      return;
    case 'float64':
      out.float64(v);
      return;
    case 'uuid': {
      const hex = String(v).replace(/-/g, '');
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`${where}: ${String(v)} is not a UUID`);
      out.raw(Buffer.from(hex, 'hex'));
      return;
    }
    case 'string': {
      if (v === null) return writeLength(out, -1, flexible, 'int16');
      if (typeof v !== 'string') throw new Error(`${where}: ${String(v)} is not a string`);
      const bytes = Buffer.from(v, 'utf8');
      if (bytes.length > 0x7fff) throw new Error(`${where}: string of ${bytes.length} bytes is too long`);
      writeLength(out, bytes.length, flexible, 'int16');
      out.raw(bytes);
      return;
    }
    case 'bytes':
    case 'records': {
      if (v === null) return writeLength(out, -1, flexible, 'int32');
      if (!(v instanceof Uint8Array)) throw new Error(`${where}: expected bytes`);
      writeLength(out, v.length, flexible, 'int32');
      out.raw(v);
      return;
    }
  }
}

// ---- decoding ----------------------------------------------------------------

export interface DecodeOptions {
  /** Called for each tag a struct does not know in that version; Kafka keeps them aside and goes on. */
  onUnknownTag?: (where: string, tag: number, body: Buffer) => void;
}

/** Decodes one `spec` at `version` from `src`, leaving it just after the message. */
export function decodeMessage(spec: JsonMessageSpec, version: number, src: ByteSource, options: DecodeOptions = {}): Record<string, unknown> {
  if (!spec.validVersions.has(version)) throw new Error(`${spec.name} has no version ${version} (${spec.validVersions})`);
  const ctx: Ctx = { version, messageFlexible: spec.flexibleVersions.has(version), messageFlexibleVersions: spec.flexibleVersions };
  return readStruct(src, spec.fields, ctx, spec.name, options);
}

/** Decodes a whole buffer; bytes left over are an error. */
export function decodeAll(spec: JsonMessageSpec, version: number, bytes: Buffer, options: DecodeOptions = {}): Record<string, unknown> {
  const src = new ByteSource(bytes);
  const value = decodeMessage(spec, version, src, options);
  if (src.remaining !== 0) throw new Error(`${spec.name} v${version}: ${src.remaining} bytes left after the message`);
  return value;
}

function readStruct(src: ByteSource, fields: readonly FieldSpec[], ctx: Ctx, where: string, options: DecodeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Fields the version lacks, and tagged ones until they turn up, take their defaults.
  for (const f of fields) {
    if (f.versions.has(ctx.version) && !f.taggedVersions.has(ctx.version)) {
      out[f.key] = readField(src, f, ctx, false, options);
    } else {
      out[f.key] = defaultValue(f);
    }
  }
  if (ctx.messageFlexible) {
    const count = src.unsignedVarint();
    for (let i = 0; i < count; i++) {
      const tag = src.unsignedVarint();
      const size = src.unsignedVarint();
      const body = src.sub(size);
      const f = fields.find((x) => x.tag === tag && x.versions.has(ctx.version) && x.taggedVersions.has(ctx.version));
      if (f === undefined) {
        if (fields.some((x) => x.tag === tag && x.versions.has(ctx.version))) throw new Error(`${where}: tag ${tag} is not valid in version ${ctx.version}`);
        options.onUnknownTag?.(where, tag, body.take(body.remaining));
        continue;
      }
      out[f.key] = readField(body, f, ctx, true, options);
      if (body.remaining !== 0) throw new Error(`${f.path}: tagged field ${tag} has ${body.remaining} bytes left over`);
    }
  }
  return out;
}

function readField(src: ByteSource, f: FieldSpec, ctx: Ctx, tagged: boolean, options: DecodeOptions): unknown {
  const nullable = f.nullableVersions.has(ctx.version);
  const flexible = tagged || isFlexibleField(f, ctx);
  const t = f.type;
  if (t.kind === 'struct') {
    if (nullable) {
      const present = tagged ? src.unsignedVarint() > 0 : src.int('int8') >= 0;
      if (!present) return null;
    }
    return readStruct(src, t.struct.fields, ctx, f.path, options);
  }
  if (t.kind === 'array') {
    const n = readLength(src, flexible, 'int32');
    if (n < 0) {
      if (!nullable) throw new Error(`${f.path}: non-nullable array is null`);
      return null;
    }
    // As Kafka: a count beyond the bytes left cannot be honest.
    if (n > src.remaining) throw new Error(`${f.path}: array of ${n} with ${src.remaining} bytes left`);
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (t.element.kind === 'struct') items.push(readStruct(src, t.element.struct.fields, ctx, f.path, options));
      else if (t.element.kind === 'array') throw new Error(`${f.path}: nested arrays`);
      else {
        const e = readPrimitive(src, t.element.name, flexible, f.path);
        if (e === null) throw new Error(`${f.path}: null array element`);
        items.push(e);
      }
    }
    return items;
  }
  const v = readPrimitive(src, t.name, flexible, f.path);
  if (v === null && !nullable) throw new Error(`${f.path}: non-nullable field is null`);
  return v;
}

function readLength(src: ByteSource, flexible: boolean, classic: 'int16' | 'int32'): number {
  return flexible ? src.unsignedVarint() - 1 : src.int(classic);
}

function readPrimitive(src: ByteSource, name: PrimitiveName, flexible: boolean, where: string): unknown {
  switch (name) {
    case 'bool':
      return src.int('int8') !== 0;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      return src.int(name);
    case 'int64':
      return src.int64();
    case 'float64':
      return src.float64();
    case 'uuid':
      return uuidFromBytes(src.take(16));
    case 'string': {
      const n = readLength(src, flexible, 'int16');
      if (n < 0) return null;
      if (n > 0x7fff) throw new Error(`${where}: string length ${n}`);
      return src.take(n).toString('utf8');
    }
    case 'bytes':
    case 'records': {
      const n = readLength(src, flexible, 'int32');
      if (n < 0) return null;
      return Buffer.from(src.take(n));
    }
  }
}

// ---- headers and frames --------------------------------------------------------

/**
 * The request header version for a request of `apiVersion`: 2 (flexible,
 * with tagged fields) when the request's version is flexible, else 1;
 * ControlledShutdown v0 alone uses header v0 (no client id).
 */
export function requestHeaderVersion(request: JsonMessageSpec, apiVersion: number): number {
  if (request.apiKey === 7 && apiVersion === 0) return 0;
  return request.flexibleVersions.has(apiVersion) ? 2 : 1;
}

/** The response header version: 1 when the response's version is flexible, else 0; ApiVersions always 0 (KIP-511). */
export function responseHeaderVersion(response: JsonMessageSpec, apiVersion: number): number {
  if (response.apiKey === 18) return 0;
  return response.flexibleVersions.has(apiVersion) ? 1 : 0;
}

export interface Frames {
  readonly requestHeader: JsonMessageSpec;
  readonly responseHeader: JsonMessageSpec;
}

/** A request without its size prefix: header (from RequestHeader.json), then body. */
export function encodeRequestFrame(
  frames: Frames,
  request: JsonMessageSpec,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer {
  const header = encodeMessage(frames.requestHeader, requestHeaderVersion(request, apiVersion), {
    requestApiKey: request.apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId,
  });
  return Buffer.concat([header, encodeMessage(request, apiVersion, body)]);
}

export function decodeRequestFrame(
  frames: Frames,
  requests: ReadonlyMap<number, JsonMessageSpec>,
  frame: Buffer,
  options: DecodeOptions = {},
): { header: Record<string, unknown>; body: Record<string, unknown> } {
  // The api key and version come first in every header version.
  const peek = new ByteSource(frame);
  const apiKey = peek.int('int16');
  const apiVersion = peek.int('int16');
  const request = requests.get(apiKey);
  if (request === undefined) throw new Error(`no request definition for api key ${apiKey}`);
  const src = new ByteSource(frame);
  const header = decodeMessage(frames.requestHeader, requestHeaderVersion(request, apiVersion), src, options);
  const body = decodeMessage(request, apiVersion, src, options);
  if (src.remaining !== 0) throw new Error(`${request.name} v${apiVersion}: ${src.remaining} bytes left after the request`);
  return { header, body };
}

export function encodeResponseFrame(frames: Frames, response: JsonMessageSpec, apiVersion: number, correlationId: number, body: unknown): Buffer {
  const header = encodeMessage(frames.responseHeader, responseHeaderVersion(response, apiVersion), { correlationId });
  return Buffer.concat([header, encodeMessage(response, apiVersion, body)]);
}

export function decodeResponseFrame(
  frames: Frames,
  response: JsonMessageSpec,
  apiVersion: number,
  frame: Buffer,
  options: DecodeOptions = {},
): { header: Record<string, unknown>; body: Record<string, unknown> } {
  const src = new ByteSource(frame);
  const header = decodeMessage(frames.responseHeader, responseHeaderVersion(response, apiVersion), src, options);
  const body = decodeMessage(response, apiVersion, src, options);
  if (src.remaining !== 0) throw new Error(`${response.name} v${apiVersion}: ${src.remaining} bytes left after the response`);
  return { header, body };
}
