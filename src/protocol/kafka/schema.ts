// How a Kafka message is declared: the same shape as Apache Kafka's JSON
// message definitions (clients/src/main/resources/common/message/*.json), so
// that a declaration can be checked against its source line by line and a
// new version is a table edit. Field names stay as Kafka spells them
// (PascalCase); the codec presents them camelCased, as Kafka's generated
// classes do. Kafka's `about`, `entityType` and `mapKey` are left out: the
// codec has no use for them.
//
// Version ranges are strings, as in the JSON: "0+" (0 and up), "3-5", "7",
// or "none".
import type { RecordsValue } from './primitives.js';

export type Primitive =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'uint32'
  | 'float64'
  | 'uuid'
  | 'string'
  | 'bytes'
  // Record batches: nullable bytes on the wire, kept as a view of the frame
  // when read and written from file regions without a copy.
  | 'records';

interface FieldCommon {
  readonly name: string;
  /** The versions the field exists in; outside them it takes its default. */
  readonly versions: string;
  /** The versions in which it may be null (-1 / 0 length on the wire). */
  readonly nullableVersions?: string;
  /** The versions in which it is a tagged field (flexible versions only). */
  readonly taggedVersions?: string;
  readonly tag?: number;
  /**
   * The value when absent: a number (int64 defaults become bigint; one
   * beyond 2^53 is written as a decimal string), a boolean, a string, or null. Without one: 0, false, '', empty bytes,
   * empty array, or null for records, as in Kafka.
   */
  readonly default?: number | boolean | string | null;
  /**
   * Whether a non-default value may be silently dropped when writing a
   * version that lacks the field. Writing a non-default value into a version
   * without a non-ignorable field is an error, as in Kafka.
   */
  readonly ignorable?: boolean;
}

/** A primitive, or an array of primitives ("[]int32"). */
export interface ValueField extends FieldCommon {
  readonly type: Primitive | `[]${Exclude<Primitive, 'records'>}`;
  readonly fields?: undefined;
}

/** A struct ("LeaderIdAndEpoch") or an array of structs ("[]TopicData"). */
export interface StructField extends FieldCommon {
  readonly type: string;
  readonly fields: readonly Field[];
}

export type Field = ValueField | StructField;

export interface MessageSpec {
  readonly apiKey: number;
  readonly type: 'request' | 'response';
  readonly name: string;
  /** The versions this declaration covers (may be fewer than Kafka's). */
  readonly validVersions: string;
  /** Versions with compact strings/arrays/bytes and tagged-field sections. */
  readonly flexibleVersions: string;
  readonly fields: readonly Field[];
}

/** An API: its key, and the request and response declared for it. */
export interface ApiDefinition {
  readonly name: string;
  readonly apiKey: number;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

// ---- version ranges ---------------------------------------------------

export interface VersionRange {
  readonly min: number;
  /** Infinity for "N+". */
  readonly max: number;
}

const NO_VERSIONS: VersionRange = { min: 1, max: 0 };
const rangeCache = new Map<string, VersionRange>();

/** Parses "0+", "3-5", "7" or "none". Throws on anything else. */
export function parseVersions(spec: string): VersionRange {
  let range = rangeCache.get(spec);
  if (range !== undefined) return range;
  let m: RegExpExecArray | null;
  if (spec === 'none') range = NO_VERSIONS;
  else if ((m = /^(\d+)\+$/.exec(spec))) range = { min: Number(m[1]), max: Infinity };
  else if ((m = /^(\d+)-(\d+)$/.exec(spec))) range = { min: Number(m[1]), max: Number(m[2]) };
  else if ((m = /^(\d+)$/.exec(spec))) range = { min: Number(m[1]), max: Number(m[1]) };
  else throw new Error(`invalid version range "${spec}"`);
  rangeCache.set(spec, range);
  return range;
}

export function inVersions(spec: string | undefined, version: number): boolean {
  if (spec === undefined) return false;
  const { min, max } = parseVersions(spec);
  return version >= min && version <= max;
}

/** Kafka's PascalCase field name as the codec presents it. */
export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** "[]int32" or "[]TopicData": an array field. */
export function isArrayType(type: string): boolean {
  return type.startsWith('[]');
}

export function isFlexible(message: MessageSpec, version: number): boolean {
  return inVersions(message.flexibleVersions, version);
}

// ---- the JavaScript values of a message ---------------------------------
//
// Computed from a declaration written `as const`, so a handler that decodes
// a Produce request gets `topicData[i].partitionData[j].records` typed.

type ScalarOf<P> = P extends 'bool'
  ? boolean
  : P extends 'int64'
    ? bigint
    : P extends 'string' | 'uuid'
      ? string
      : P extends 'bytes'
        ? Buffer
        : number;

type NullableIf<F, T> = F extends { readonly nullableVersions: string } ? T | null : T;

// (`infer Sub` is checked in a second step: `infer Sub extends Field[]`
// would intersect the tuple with Field[] and blur every field's type.)
type DecodedValue<F> = F extends { readonly fields: infer Sub }
  ? Sub extends readonly Field[]
    ? F extends { readonly type: `[]${string}` }
      ? DecodedStruct<Sub>[]
      : DecodedStruct<Sub>
    : never
  : F extends { readonly type: 'records' }
    ? Buffer | null
    : F extends { readonly type: `[]${infer E}` }
      ? ScalarOf<E>[]
      : F extends { readonly type: infer P }
        ? ScalarOf<P>
        : never;

/** A struct as decoded: every field present, absent ones at their defaults. */
export type DecodedStruct<Fs extends readonly Field[]> = {
  -readonly [F in Fs[number] as Uncapitalize<F['name']>]: NullableIf<F, DecodedValue<F>>;
};

type InputScalarOf<P> = P extends 'int64' ? bigint : P extends 'bytes' ? Uint8Array : ScalarOf<P>;

type InputValue<F> = F extends { readonly fields: infer Sub }
  ? Sub extends readonly Field[]
    ? F extends { readonly type: `[]${string}` }
      ? readonly InputStruct<Sub>[]
      : InputStruct<Sub>
    : never
  : F extends { readonly type: 'records' }
    ? RecordsValue | null
    : F extends { readonly type: `[]${infer E}` }
      ? readonly InputScalarOf<E>[]
      : F extends { readonly type: infer P }
        ? InputScalarOf<P>
        : never;

/** A struct to encode: any field may be left out and is then written as its default. */
export type InputStruct<Fs extends readonly Field[]> = {
  [F in Fs[number] as Uncapitalize<F['name']>]?: NullableIf<F, InputValue<F>>;
};

export type Decoded<M extends MessageSpec> = DecodedStruct<M['fields']>;
export type Input<M extends MessageSpec> = InputStruct<M['fields']>;
