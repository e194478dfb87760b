// One codec for every declared message. A declaration and a version compile,
// once, into a plan: per field, whether it is on the wire, tagged or absent
// in that version, and a reader and writer specialised for its type,
// nullability and flexibility. Decoding and encoding walk the plan.
//
// Decoding yields plain objects with camelCased field names; fields absent
// from the version (or tagged and not sent) take their defaults. Encoding
// writes defaults for fields left out, and refuses a non-default value for
// a non-ignorable field the version lacks, as Kafka's generated code does:
// such a value would be silently lost otherwise. For the same reason it
// refuses keys that are not fields at all.
import { EncodeError, ProtocolError, withinField } from './errors.js';
import type { RecordsValue } from './primitives.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import {
  camel,
  inVersions,
  isArrayType,
  isFlexible,
  parseVersions,
  type Decoded,
  type Field,
  type Input,
  type MessageSpec,
  type Primitive,
} from './schema.js';
import { checkDefault, defaultOf, isDefault } from './defaults.js';

type ReadFn = (r: Reader) => unknown;
type WriteFn = (w: Writer, value: unknown) => void;

interface FieldPlan {
  readonly key: string;
  readonly field: Field;
  /** On the wire in order, in the tagged section, or not in this version at all. */
  readonly mode: 'wire' | 'tagged' | 'absent';
  readonly tag: number;
  readonly read: ReadFn;
  readonly write: WriteFn;
  readonly makeDefault: () => unknown;
}

interface StructPlan {
  /** Kafka's name for the struct ("TopicProduceData"), for error messages. */
  readonly name: string;
  readonly version: number;
  readonly flexible: boolean;
  /** Every field in declaration order, so decoded objects keep Kafka's order. */
  readonly fields: readonly FieldPlan[];
  /** The tagged fields, by ascending tag (the order they are written in). */
  readonly tagged: readonly FieldPlan[];
  readonly byTag: ReadonlyMap<number, FieldPlan>;
  /** Every field's camelCased name, to refuse keys that are none of them. */
  readonly keys: ReadonlySet<string>;
}

const plans = new WeakMap<MessageSpec, Map<number, StructPlan>>();

/** "ProduceRequest" v7 → "Produce v7", for error messages. */
function label(message: MessageSpec, version: number): string {
  return `${message.name.replace(/(Request|Response)$/, '')} v${version}`;
}

export function isValidVersion(message: MessageSpec, version: number): boolean {
  return Number.isInteger(version) && inVersions(message.validVersions, version);
}

function planFor(message: MessageSpec, version: number): StructPlan | undefined {
  let byVersion = plans.get(message);
  if (byVersion === undefined) plans.set(message, (byVersion = new Map()));
  let plan = byVersion.get(version);
  if (plan === undefined && isValidVersion(message, version)) {
    plan = compileStruct(message.name, message.fields, version, isFlexible(message, version));
    byVersion.set(version, plan);
  }
  return plan;
}

// ---- compiling -------------------------------------------------------

function compileStruct(name: string, fields: readonly Field[], version: number, flexible: boolean): StructPlan {
  const plans = fields.map((f) => compileField(f, version, flexible, `${name}.${f.name}`));
  const tagged = plans.filter((p) => p.mode === 'tagged').sort((a, b) => a.tag - b.tag);
  const byTag = new Map<number, FieldPlan>();
  for (const p of tagged) {
    if (byTag.has(p.tag)) throw new Error(`${name}: tag ${p.tag} used twice in version ${version}`);
    byTag.set(p.tag, p);
  }
  const keys = new Set(plans.map((p) => p.key));
  if (keys.size !== plans.length) throw new Error(`${name}: two fields share a name`);
  return { name, version, flexible, fields: plans, tagged, byTag, keys };
}

function compileField(field: Field, version: number, flexible: boolean, where: string): FieldPlan {
  checkDefault(field, where);
  const present = inVersions(field.versions, version);
  const tagged = present && inVersions(field.taggedVersions, version);
  if (tagged && !flexible) throw new Error(`${where}: tagged in version ${version}, which is not flexible`);
  if (tagged && field.tag === undefined) throw new Error(`${where}: tagged in version ${version} but has no tag`);
  const nullable = inVersions(field.nullableVersions, version);
  // Immutable defaults (numbers, strings, null) are shared; arrays, structs
  // and buffers are made afresh, as a caller may change what it decoded.
  const constant = field.fields === undefined && !isArrayType(field.type) && field.type !== 'bytes';
  const fresh = (): unknown => defaultOf(field);
  const value = constant ? defaultOf(field) : undefined;
  const base = {
    key: camel(field.name),
    field,
    mode: tagged ? ('tagged' as const) : present ? ('wire' as const) : ('absent' as const),
    tag: field.tag ?? -1,
    makeDefault: constant ? () => value : fresh,
  };
  if (!present) return { ...base, read: unreachableRead, write: unreachableWrite };
  const { read, write } = compileType(field, version, flexible, nullable, where);
  return {
    ...base,
    read,
    write: (w, v) => {
      if (v === null && !nullable) throw new EncodeError(`null is not allowed in version ${version}`);
      write(w, v);
    },
  };
}

function unreachableRead(): never {
  throw new Error('read of a field absent from the version');
}

function unreachableWrite(): never {
  throw new Error('write of a field absent from the version');
}

function compileType(
  field: Field,
  version: number,
  flexible: boolean,
  nullable: boolean,
  where: string,
): { read: ReadFn; write: WriteFn } {
  if (field.fields !== undefined) {
    const plan = compileStruct(field.type.replace(/^\[\]/, ''), field.fields, version, flexible);
    const readOne = (r: Reader): unknown => readStruct(plan, r);
    const writeOne = (w: Writer, v: unknown): void => writeStruct(plan, v, w);
    if (isArrayType(field.type)) return arrayOf(readOne, writeOne, flexible, nullable);
    if (!nullable) return { read: readOne, write: writeOne };
    // Kafka's nullable struct: an int8 marker first, -1 for null, 1 for a struct that follows.
    return {
      read: (r) => (r.int8() < 0 ? null : readOne(r)),
      write: (w, v) => {
        if (v === null) w.int8(-1);
        else writeOne(w.int8(1), v);
      },
    };
  }
  if (isArrayType(field.type)) {
    const element = field.type.slice(2) as Primitive;
    const one = scalar(element, flexible, false);
    const writeOne: WriteFn = (w, v) => {
      if (v === null) throw new EncodeError('null array element');
      one.write(w, v);
    };
    return arrayOf(one.read, writeOne, flexible, nullable);
  }
  return scalar(field.type as Primitive, flexible, nullable);
}

function arrayOf(readOne: ReadFn, writeOne: WriteFn, flexible: boolean, nullable: boolean): { read: ReadFn; write: WriteFn } {
  const read: ReadFn = flexible
    ? nullable
      ? (r) => r.compactNullableArray(readOne)
      : (r) => r.compactArray(readOne)
    : nullable
      ? (r) => r.nullableArray(readOne)
      : (r) => r.array(readOne);
  const write: WriteFn = flexible
    ? (w, v) => w.compactNullableArray(v as readonly unknown[] | null, writeOne)
    : (w, v) => w.nullableArray(v as readonly unknown[] | null, writeOne);
  return { read, write };
}

/** Reader and writer of one primitive; nullability only changes how strings, bytes and records read. */
function scalar(type: Primitive, flexible: boolean, nullable: boolean): { read: ReadFn; write: WriteFn } {
  switch (type) {
    case 'bool':
      return { read: (r) => r.bool(), write: (w, v) => w.bool(v as boolean) };
    case 'int8':
      return { read: (r) => r.int8(), write: (w, v) => w.int8(v as number) };
    case 'int16':
      return { read: (r) => r.int16(), write: (w, v) => w.int16(v as number) };
    case 'int32':
      return { read: (r) => r.int32(), write: (w, v) => w.int32(v as number) };
    case 'int64':
      return { read: (r) => r.int64(), write: (w, v) => w.int64(v as bigint) };
    case 'uint16':
      return { read: (r) => r.uint16(), write: (w, v) => w.uint16(v as number) };
    case 'uint32':
      return { read: (r) => r.uint32(), write: (w, v) => w.uint32(v as number) };
    case 'float64':
      return { read: (r) => r.float64(), write: (w, v) => w.float64(v as number) };
    case 'uuid':
      return { read: (r) => r.uuid(), write: (w, v) => w.uuid(v as string) };
    case 'string':
      return flexible
        ? {
            read: nullable ? (r) => r.compactNullableString() : (r) => r.compactString(),
            write: (w, v) => w.compactNullableString(v as string | null),
          }
        : {
            read: nullable ? (r) => r.nullableString() : (r) => r.string(),
            write: (w, v) => w.nullableString(v as string | null),
          };
    case 'bytes':
      return flexible
        ? {
            read: nullable ? (r) => r.compactNullableBytes() : (r) => r.compactBytes(),
            write: (w, v) => w.compactNullableBytes(v as Uint8Array | null),
          }
        : {
            read: nullable ? (r) => r.nullableBytes() : (r) => r.bytes(),
            write: (w, v) => w.nullableBytes(v as Uint8Array | null),
          };
    case 'records':
      return {
        read: flexible
          ? nullable
            ? (r) => r.compactNullableBytes()
            : (r) => r.compactBytes()
          : nullable
            ? (r) => r.nullableBytes()
            : (r) => r.bytes(),
        write: (w, v) => w.records(v as RecordsValue | null, flexible),
      };
    default:
      throw new Error(`unknown primitive type "${String(type)}"`);
  }
}

// ---- walking a plan --------------------------------------------------

function readStruct(plan: StructPlan, r: Reader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of plan.fields) {
    if (f.mode !== 'wire') {
      out[f.key] = f.makeDefault();
      continue;
    }
    try {
      out[f.key] = f.read(r);
    } catch (err) {
      throw withinField(err, f.key);
    }
  }
  if (plan.flexible) {
    r.taggedFields((tag, body) => {
      const f = plan.byTag.get(tag);
      if (f === undefined) return false;
      try {
        out[f.key] = f.read(body);
      } catch (err) {
        throw withinField(err, f.key);
      }
      return true;
    });
  }
  return out;
}

function writeStruct(plan: StructPlan, value: unknown, w: Writer): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EncodeError(`expected an object, got ${Array.isArray(value) ? 'an array' : String(value)}`);
  }
  const obj = value as Record<string, unknown>;
  // A misspelt or misplaced key would otherwise vanish, and its field go out
  // as the default: a response that parses and says the wrong thing.
  for (const key in obj) {
    if (!plan.keys.has(key)) throw new EncodeError(`"${key}" is not a field of ${plan.name}`);
  }
  for (const f of plan.fields) {
    const v = obj[f.key];
    if (f.mode === 'wire') {
      try {
        f.write(w, v === undefined ? f.makeDefault() : v);
      } catch (err) {
        throw withinField(err, f.key);
      }
    } else if (f.mode === 'absent' && !f.field.ignorable && !isDefault(f.field, v)) {
      const err = new EncodeError(`version ${plan.version} lacks this field, and a non-default value would be lost`);
      throw withinField(err, f.key);
    }
  }
  if (plan.flexible) writeTagged(plan, obj, w);
}

/** The tagged-field section: only fields whose value differs from their default, as Kafka writes it. */
function writeTagged(plan: StructPlan, obj: Record<string, unknown>, w: Writer): void {
  // Most structs send no tagged field (none declared, or all left out): the array is made only for one that is sent.
  let bodies: Array<readonly [number, Uint8Array]> | null = null;
  for (const f of plan.tagged) {
    const v = obj[f.key];
    if (isDefault(f.field, v)) continue;
    const body = new Writer(64);
    try {
      f.write(body, v);
      (bodies ??= []).push([f.tag, body.toBuffer()]);
    } catch (err) {
      throw withinField(err, f.key);
    }
  }
  if (bodies === null) w.unsignedVarint(0);
  else w.taggedFields(bodies);
}

// ---- entry points ----------------------------------------------------

/**
 * Reads one `message` of `version` from `reader`, leaving it just after the
 * message. Throws ProtocolError for bytes that do not parse (and for a
 * version the declaration does not cover: the bytes came from outside).
 */
export function decode<M extends MessageSpec>(message: M, version: number, reader: Reader): Decoded<M> {
  const plan = planFor(message, version);
  if (plan === undefined) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `${label(message, version)} is not a declared version (${message.validVersions})`);
  }
  try {
    return readStruct(plan, reader) as Decoded<M>;
  } catch (err) {
    if (err instanceof ProtocolError) err.reading(message.type, label(message, version));
    throw err;
  }
}

/** Writes `value` as `message` of `version`. Throws EncodeError for a value the schema cannot carry. */
export function encode<M extends MessageSpec>(message: M, version: number, value: Input<M>, writer: Writer): void {
  const plan = planFor(message, version);
  if (plan === undefined) {
    throw new EncodeError(`${label(message, version)} is not a declared version (${message.validVersions})`);
  }
  try {
    writeStruct(plan, value, writer);
  } catch (err) {
    if (err instanceof EncodeError) err.in(label(message, version));
    throw err;
  }
}

/** The declared versions of a message, lowest first. */
export function declaredVersions(message: MessageSpec): number[] {
  const { min, max } = parseVersions(message.validVersions);
  if (!Number.isFinite(max)) throw new Error(`${message.name}: validVersions must be bounded, not "${message.validVersions}"`);
  const out: number[] = [];
  for (let v = min; v <= max; v++) out.push(v);
  return out;
}
