// SQL92 filter expressions as they evaluate (sql-filter.ts parses them):
// a node per operator, evaluated over a message's properties with RocketMQ's
// three-valued logic, and its comparisons as Java's ComparisonExpression
// makes them with string conversion on (a property read as the number it is
// compared with). A node's parse-time checks are RocketMQ's too.
import { FilterError } from './tag-filter.js';

/**
 * A value while evaluating: bigint for integer literals (Java's Integer
 * or Long: Node.integer says which), number for decimal ones (Double).
 */
export type Value = null | boolean | string | bigint | number;
export type Props = (name: string) => string | null;
export type Eval = (p: Props) => Value;

export interface Node {
  eval: Eval;
  /** A BooleanExpression in RocketMQ's terms: a comparison, logic, or a TRUE/FALSE/NULL literal. */
  boolean: boolean;
  /** Set for literals: the value, and whether it is the literal NULL/TRUE/FALSE. */
  constant?: { value: Value };
  /** Set for a property name. */
  property?: string;
  /** An integer literal's Java type (negated or not): Integer within an int's range when written, else Long. */
  integer?: IntegerKind;
}

/** Which Java type an integer literal has: it decides how a property compared with it is read. */
export type IntegerKind = 'int' | 'long';

/** An expression that does not parse, or that RocketMQ's parser refuses: its message says why (a FilterError, as a bad tag expression's is). */
export class SqlFilterError extends FilterError {}

/** Evaluating reached what RocketMQ's evaluator throws on (a property no number, a string compared to a boolean): the message does not match. */
class Unmatchable extends Error {}
export const UNMATCHABLE = new Unmatchable();

export const LONG_MAX = 2n ** 63n - 1n;
export const INT_MAX = 2n ** 31n - 1n;

/** A token's text cut for an error message. */
export function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function describe(n: Node): string {
  if (n.property !== undefined) return `the property ${n.property}`;
  if (n.constant !== undefined) return n.constant.value === null ? 'NULL' : typeof n.constant.value === 'string' ? `'${n.constant.value}'` : String(n.constant.value).toUpperCase();
  return 'an expression';
}


export function literal(value: Value): Node {
  const boolean = value === null || typeof value === 'boolean';
  return { boolean, constant: { value }, eval: () => value };
}

export function property(name: string): Node {
  return { boolean: false, property: name, eval: (p) => p(name) };
}

export function negate(n: Node): Node {
  const e = n.eval;
  return {
    boolean: false,
    integer: n.integer,
    eval: (p) => {
      const v = e(p);
      return typeof v === 'bigint' ? -v : typeof v === 'number' ? -v : null;
    },
  };
}

export function negation(n: Node): Node {
  const e = n.eval;
  return {
    boolean: true,
    eval: (p) => {
      const v = e(p);
      return v === null ? null : !(v as boolean);
    },
  };
}

export function logic(op: 'AND' | 'OR', l: Node, r: Node): Node {
  const le = l.eval;
  const re = r.eval;
  const decisive = op === 'OR';
  return {
    boolean: true,
    eval: (p) => {
      const lv = le(p);
      if (lv === decisive) return decisive;
      const rv = re(p);
      if (rv === decisive) return decisive;
      return lv === null || rv === null ? null : !decisive;
    },
  };
}

/** RocketMQ's checks of = and <> operands: NULL is IS NULL's, and a boolean literal compares only with another. */
export function checkEqualOperands(l: Node, r: Node): void {
  for (const n of [l, r]) if (n.constant !== undefined && n.constant.value === null) throw new SqlFilterError('NULL cannot be compared with = or <>: use IS NULL or IS NOT NULL');
  if (l.constant !== undefined && r.constant !== undefined && l.boolean && !r.boolean) throw new SqlFilterError(`${describe(l)} cannot be compared with ${describe(r)}`);
}

export function equal(l: Node, r: Node): Node {
  const le = l.eval;
  const re = r.eval;
  const kind = l.integer ?? r.integer ?? 'int';
  return {
    boolean: true,
    eval: (p) => {
      const lv = le(p);
      const rv = re(p);
      if (lv === null || rv === null) return lv === null && rv === null ? true : lv === null ? null : false;
      if (typeof lv === typeof rv && (typeof lv === 'number' ? Object.is(lv, rv) : lv === rv)) return true;
      return compare(lv, rv, kind) === 0;
    },
  };
}

export function relational(op: string, l: Node, r: Node): Node {
  for (const n of [l, r]) {
    const numberLiteral = n.constant !== undefined && (typeof n.constant.value === 'bigint' || typeof n.constant.value === 'number');
    if ((n.constant !== undefined && !numberLiteral) || n.boolean) throw new SqlFilterError(`${describe(n)} cannot be compared with ${op}: only numbers can`);
  }
  const le = l.eval;
  const re = r.eval;
  const kind = l.integer ?? r.integer ?? 'int';
  const holds = op === '>' ? (c: number) => c > 0 : op === '>=' ? (c: number) => c >= 0 : op === '<' ? (c: number) => c < 0 : (c: number) => c <= 0;
  return {
    boolean: true,
    eval: (p) => {
      const lv = le(p);
      if (lv === null) return null;
      const rv = re(p);
      if (rv === null) return null;
      // Two strings (two properties) compare as decimals, or not at all.
      if (typeof lv === 'string' && typeof rv === 'string') return holds(compareDoubles(javaDouble(lv), javaDouble(rv)));
      return holds(compare(lv, rv, kind));
    },
  };
}

export function between(value: Node, low: Node, high: Node, not: boolean): Node {
  // Only BETWEEN checks its bounds (createBetween); NOT BETWEEN is its OR as written (createNotBetween).
  if (!not && low.constant !== undefined && high.constant !== undefined) {
    const lo = low.constant.value;
    const hi = high.constant.value;
    if (lo === null || hi === null) throw new SqlFilterError('BETWEEN takes no NULL bound');
    let order: number;
    try {
      order = compare(hi, lo, high.integer ?? low.integer ?? 'int');
    } catch {
      throw new SqlFilterError(`BETWEEN ${describe(low)} AND ${describe(high)}: bounds of different kinds`);
    }
    if (order < 0) throw new SqlFilterError(`BETWEEN ${describe(low)} AND ${describe(high)}: the first bound must not be greater than the second`);
  }
  return not ? logic('OR', relational('<', value, low), relational('>', value, high)) : logic('AND', relational('>=', value, low), relational('<=', value, high));
}

export function inList(n: Node, list: ReadonlySet<string>, not: boolean): Node {
  const e = n.eval;
  return {
    boolean: true,
    eval: (p) => {
      const v = e(p);
      if (typeof v !== 'string') return null;
      return list.has(v) !== not;
    },
  };
}

export function textTest(op: string, not: boolean, n: Node, search: string): Node {
  const e = n.eval;
  const test = op === 'CONTAINS' ? (v: string) => v.includes(search) : op === 'STARTSWITH' ? (v: string) => v.startsWith(search) : (v: string) => v.endsWith(search);
  return {
    boolean: true,
    // RocketMQ answers FALSE, not NULL, for a missing property or an empty search, with NOT or without.
    eval: (p) => {
      const v = e(p);
      if (search === '' || typeof v !== 'string') return false;
      return test(v) !== not;
    },
  };
}

// ---------------------------------------------------------------- comparing as Java does

/**
 * ComparisonExpression.__compare with string conversion on (RocketMQ's
 * parser always sets it): a string against a number is read as that
 * number's type (an integer's is `kind`); a number against a boolean
 * compares as less; what Java throws on is UNMATCHABLE.
 */
function compare(lv: Exclude<Value, null>, rv: Exclude<Value, null>, kind: IntegerKind): number {
  if (typeof lv === 'string') {
    if (typeof rv === 'string') return lv < rv ? -1 : lv > rv ? 1 : 0;
    if (typeof rv === 'bigint') return compareLongs(javaInteger(lv, kind), rv);
    if (typeof rv === 'number') return compareDoubles(javaDouble(lv), rv);
    return compareBooleans(lv.toLowerCase() === 'true', rv);
  }
  if (typeof lv === 'bigint') {
    if (typeof rv === 'bigint') return compareLongs(lv, rv);
    if (typeof rv === 'number') return compareDoubles(Number(lv), rv);
    if (typeof rv === 'string') return compareLongs(lv, javaInteger(rv, kind));
    return -1;
  }
  if (typeof lv === 'number') {
    if (typeof rv === 'number') return compareDoubles(lv, rv);
    if (typeof rv === 'bigint') return compareDoubles(lv, Number(rv));
    if (typeof rv === 'string') return compareDoubles(lv, javaDouble(rv));
    return -1;
  }
  if (typeof rv === 'boolean') return compareBooleans(lv, rv);
  // A boolean against a string: RocketMQ's copy casts the boolean to a string and throws.
  if (typeof rv === 'string') throw UNMATCHABLE;
  return -1;
}

function compareLongs(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBooleans(a: boolean, b: boolean): number {
  return a === b ? 0 : a ? 1 : -1;
}

/** Double.compareTo: NaN above everything and equal to itself, -0.0 below 0.0. */
function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (Object.is(a, b)) return 0;
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return Object.is(a, -0) ? -1 : 1;
}

const JAVA_INTEGER = /^[+-]?[0-9]+$/;

/**
 * A string read as the integer literal it is compared with: Integer.valueOf
 * against an Integer, Long.valueOf against a Long. ASCII decimal digits
 * with an optional sign, within that type's range; anything else throws
 * there. Past 19 digits no long holds it: refused before BigInt reads it
 * (a property may be megabytes of digits).
 */
function javaInteger(s: string, kind: IntegerKind): bigint {
  if (!JAVA_INTEGER.test(s)) throw UNMATCHABLE;
  let digits = s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45 ? 1 : 0;
  while (digits < s.length - 1 && s.charCodeAt(digits) === 48) digits++;
  if (s.length - digits > 19) throw UNMATCHABLE;
  const v = BigInt(s);
  const max = kind === 'int' ? INT_MAX : LONG_MAX;
  if (v > max || v < -max - 1n) throw UNMATCHABLE;
  return v;
}

// One way to match each string (no nested choices), so a long property cannot make it backtrack.
const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)$/;

/** Double.valueOf: a decimal (blanks around it allowed), NaN or Infinity; anything else throws there. */
function javaDouble(s: string): number {
  // String.trim: every char up to U+0020 at either end.
  let from = 0;
  let to = s.length;
  while (from < to && s.charCodeAt(from) <= 0x20) from++;
  while (to > from && s.charCodeAt(to - 1) <= 0x20) to--;
  const t = from === 0 && to === s.length ? s : s.slice(from, to);
  if (!JAVA_DOUBLE.test(t)) throw UNMATCHABLE;
  return Number(t.replace(/[fFdD]$/, ''));
}
