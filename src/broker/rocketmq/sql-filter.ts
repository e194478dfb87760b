// RocketMQ's SQL92 filter (MessageSelector.bySql, FilterType.SQL): a WHERE
// clause over a message's properties, parsed and evaluated as RocketMQ's
// broker does (its filter module, SelectorParser.jj, itself ActiveMQ's JMS
// selector without arithmetic and LIKE):
//   a = 'x'   a <> 'x'   a > 3   a >= 3.5   a BETWEEN 1 AND 9   a IN ('x', 'y')
//   a IS NULL   a IS NOT NULL   a CONTAINS 'x'   a STARTSWITH 'x'   a ENDSWITH 'x'
//   NOT, AND, OR, parentheses; TRUE, FALSE, NULL; -- and /* */ comments
// Keywords are case-insensitive; names are [A-Za-z_$][A-Za-z0-9_$]*.
// Properties are strings: a comparison with a number reads the property as
// one (Java's Long.valueOf against an integer literal, Double.valueOf
// against a decimal one), two strings compare by > only as numbers. Logic
// is three-valued: a missing property is NULL, and a message matches only
// where the whole expression is TRUE; one whose property cannot be read as
// the number compared (RocketMQ throws) does not match. A bare property is
// TRUE only if it is a boolean, which a property (a string) never is.
// Unlike RocketMQ's parser, text after a complete expression is refused,
// not ignored, and a decimal literal of 0 (0.0) is taken (RocketMQ refuses
// decimals below Double.MIN_VALUE, 0 among them); non-ASCII digits and hex
// floats in a property are not read as numbers (Java's valueOf reads
// them); a -- comment may end the expression without a line end.

/**
 * A value while evaluating: bigint for integer literals (Java's Integer
 * or Long: Node.integer says which), number for decimal ones (Double).
 */
type Value = null | boolean | string | bigint | number;
type Props = (name: string) => string | null;
type Eval = (p: Props) => Value;

interface Node {
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
type IntegerKind = 'int' | 'long';

export const MAX_SQL_CHARS = 8192;
/** Nesting (parentheses, NOT, unary signs) deeper than this is refused rather than recursed into. */
export const MAX_SQL_DEPTH = 100;

export class SqlFilterError extends Error {}

/** Evaluating reached what RocketMQ's evaluator throws on (a property no number, a string compared to a boolean): the message does not match. */
class Unmatchable extends Error {}
const UNMATCHABLE = new Unmatchable();

export class SqlFilter {
  constructor(
    readonly expression: string,
    private readonly root: Eval,
  ) {}

  /** True where the expression is TRUE for the message whose properties `props` gives. */
  matches(props: Props): boolean {
    try {
      return this.root(props) === true;
    } catch (err) {
      if (err === UNMATCHABLE) return false;
      throw err;
    }
  }
}

const cache = new Map<string, SqlFilter>();
const MAX_CACHED = 1000;

/** Parses an expression (kept: a consumer sends the same one with every receive); throws SqlFilterError saying what is wrong. */
export function parseSqlFilter(expression: string): SqlFilter {
  const known = cache.get(expression);
  if (known) return known;
  if (expression.length > MAX_SQL_CHARS) throw new SqlFilterError(`a SQL92 filter has at most ${MAX_SQL_CHARS} characters, not ${expression.length}`);
  const parser = new Parser(tokenize(expression));
  const root = parser.selector();
  const filter = new SqlFilter(expression, root);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(expression, filter);
  return filter;
}

// ---------------------------------------------------------------- tokens

type Kind = 'kw' | 'int' | 'float' | 'string' | 'id' | 'op' | 'end';
interface Token {
  kind: Kind;
  /** Keywords upper-cased; operators as written; literals their value's text. */
  text: string;
  at: number;
}

const KEYWORDS = new Set(['NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH']);
const FLOAT = /^(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)/;
const INT = /^(?:0|[1-9][0-9]*[lL]?)/;
const ID = /^[A-Za-z_$][A-Za-z0-9_$]*/;
const OPS = ['<>', '>=', '<=', '=', '>', '<', '(', ')', ',', '+', '-'];

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (s.startsWith('--', i)) {
      const nl = s.slice(i).search(/[\r\n]/);
      i = nl < 0 ? s.length : i + nl;
      continue;
    }
    if (s.startsWith('/*', i)) {
      const close = s.indexOf('*/', i + 2);
      if (close < 0) throw new SqlFilterError(`a comment opened at character ${i + 1} is not closed`);
      i = close + 2;
      continue;
    }
    const rest = s.slice(i);
    if (c === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= s.length) throw new SqlFilterError(`the string at character ${i + 1} is not closed with '`);
        if (s[j] === "'") {
          if (s[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += s[j++];
      }
      out.push({ kind: 'string', text, at: i });
      i = j + 1;
      continue;
    }
    // The longest literal wins, as in the JavaCC lexer: 5.5 and 5E3 are decimals, 5 and 5L integers.
    const f = FLOAT.exec(rest);
    const n = INT.exec(rest);
    if (f && (!n || f[0].length > n[0].length)) {
      out.push({ kind: 'float', text: f[0], at: i });
      i += f[0].length;
      continue;
    }
    if (n) {
      out.push({ kind: 'int', text: n[0].replace(/[lL]$/, ''), at: i });
      i += n[0].length;
      continue;
    }
    const id = ID.exec(rest);
    if (id) {
      const upper = id[0].toUpperCase();
      out.push(KEYWORDS.has(upper) ? { kind: 'kw', text: upper, at: i } : { kind: 'id', text: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (!op) throw new SqlFilterError(`unexpected character "${c}" at character ${i + 1}`);
    out.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', at: s.length });
  return out;
}

// ---------------------------------------------------------------- parser

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  selector(): Eval {
    const e = this.asBoolean(this.or());
    const t = this.peek();
    if (t.kind !== 'end') throw this.error(t, 'the end of the expression');
    return e.eval;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private is(kind: Kind, text?: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === kind && (text === undefined || t.text === text);
  }

  private expect(kind: Kind, text: string | undefined, what: string): Token {
    if (!this.is(kind, text)) throw this.error(this.peek(), what);
    return this.next();
  }

  private error(t: Token, wanted: string): SqlFilterError {
    const found = t.kind === 'end' ? 'the end' : t.kind === 'string' ? `'${short(t.text)}'` : `"${short(t.text)}"`;
    return new SqlFilterError(`expected ${wanted} at character ${t.at + 1}, found ${found}`);
  }

  private or(): Node {
    let left = this.and();
    while (this.is('kw', 'OR')) {
      this.next();
      left = logic('OR', this.asBoolean(left), this.asBoolean(this.and()));
    }
    return left;
  }

  private and(): Node {
    let left = this.equality();
    while (this.is('kw', 'AND')) {
      this.next();
      left = logic('AND', this.asBoolean(left), this.asBoolean(this.equality()));
    }
    return left;
  }

  private equality(): Node {
    let left = this.comparison();
    for (;;) {
      if (this.is('op', '=') || this.is('op', '<>')) {
        const not = this.next().text === '<>';
        const right = this.comparison();
        checkEqualOperands(left, right);
        left = not ? negation(equal(left, right)) : equal(left, right);
      } else if (this.is('kw', 'IS')) {
        this.next();
        const not = this.is('kw', 'NOT');
        if (not) this.next();
        this.expect('kw', 'NULL', 'NULL');
        const isNull = equal(left, literal(null));
        left = not ? negation(isNull) : isNull;
      } else return left;
    }
  }

  private comparison(): Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '>' || t.text === '>=' || t.text === '<' || t.text === '<=')) {
        this.next();
        left = relational(t.text, left, this.unary());
        continue;
      }
      const not = this.is('kw', 'NOT') && (this.is('kw', 'CONTAINS', 1) || this.is('kw', 'STARTSWITH', 1) || this.is('kw', 'ENDSWITH', 1) || this.is('kw', 'BETWEEN', 1) || this.is('kw', 'IN', 1));
      if (not) this.next();
      const k = this.peek();
      if (k.kind === 'kw' && (k.text === 'CONTAINS' || k.text === 'STARTSWITH' || k.text === 'ENDSWITH')) {
        this.next();
        left = textTest(k.text, not, left, this.expect('string', undefined, 'a string in quotes').text);
      } else if (this.is('kw', 'BETWEEN')) {
        this.next();
        const low = this.unary();
        this.expect('kw', 'AND', 'AND');
        left = between(left, low, this.unary(), not);
      } else if (this.is('kw', 'IN')) {
        this.next();
        if (left.property === undefined) throw new SqlFilterError(`IN applies to a property, not to ${describe(left)}`);
        this.expect('op', '(', '(');
        const list = [this.expect('string', undefined, 'a string in quotes').text];
        while (this.is('op', ',')) {
          this.next();
          list.push(this.expect('string', undefined, 'a string in quotes').text);
        }
        this.expect('op', ')', ')');
        left = inList(left, new Set(list), not);
      } else return left;
    }
  }

  private unary(): Node {
    if (++this.depth > MAX_SQL_DEPTH) throw new SqlFilterError(`the expression nests deeper than ${MAX_SQL_DEPTH} levels`);
    try {
      if (this.is('op', '+')) {
        this.next();
        return this.unary();
      }
      if (this.is('op', '-')) {
        this.next();
        return negate(this.unary());
      }
      if (this.is('kw', 'NOT')) {
        this.next();
        return negation(this.asBoolean(this.unary()));
      }
      return this.primary();
    } finally {
      this.depth--;
    }
  }

  private primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return literal(t.text);
      case 'int': {
        const v = BigInt(t.text);
        if (v > LONG_MAX) throw new SqlFilterError(`${short(t.text)} at character ${t.at + 1} is past the largest integer (${LONG_MAX})`);
        // ConstantExpression.createFromDecimal: an Integer where it fits, else a Long; negating keeps the type.
        return { ...literal(v), integer: v <= INT_MAX ? 'int' : 'long' };
      }
      case 'float': {
        const v = Number(t.text);
        if (!Number.isFinite(v)) throw new SqlFilterError(`${short(t.text)} at character ${t.at + 1} is past the largest decimal`);
        return literal(v);
      }
      case 'id':
        return property(t.text);
      case 'kw':
        if (t.text === 'TRUE' || t.text === 'FALSE' || t.text === 'NULL') return literal(t.text === 'NULL' ? null : t.text === 'TRUE');
        break;
      case 'op':
        if (t.text === '(') {
          const e = this.or();
          this.expect('op', ')', ')');
          return e;
        }
        break;
    }
    throw this.error(t, 'a property, a literal or (');
  }

  /** What AND, OR and NOT take, as RocketMQ's asBooleanExpression: a boolean expression, or a property read as one. */
  private asBoolean(n: Node): Node {
    if (n.boolean) return n;
    if (n.property !== undefined) {
      const name = n.property;
      // A property is a string, never a boolean: FALSE where it is set, NULL where not.
      return { boolean: true, eval: (p) => (p(name) === null ? null : false) };
    }
    throw new SqlFilterError(`${describe(n)} is not a condition: compare it with something`);
  }
}

const LONG_MAX = 2n ** 63n - 1n;
const INT_MAX = 2n ** 31n - 1n;

/** A token's text cut for an error message. */
function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function describe(n: Node): string {
  if (n.property !== undefined) return `the property ${n.property}`;
  if (n.constant !== undefined) return n.constant.value === null ? 'NULL' : typeof n.constant.value === 'string' ? `'${n.constant.value}'` : String(n.constant.value).toUpperCase();
  return 'an expression';
}

// ---------------------------------------------------------------- nodes

function literal(value: Value): Node {
  const boolean = value === null || typeof value === 'boolean';
  return { boolean, constant: { value }, eval: () => value };
}

function property(name: string): Node {
  return { boolean: false, property: name, eval: (p) => p(name) };
}

function negate(n: Node): Node {
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

function negation(n: Node): Node {
  const e = n.eval;
  return {
    boolean: true,
    eval: (p) => {
      const v = e(p);
      return v === null ? null : !(v as boolean);
    },
  };
}

function logic(op: 'AND' | 'OR', l: Node, r: Node): Node {
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
function checkEqualOperands(l: Node, r: Node): void {
  for (const n of [l, r]) if (n.constant !== undefined && n.constant.value === null) throw new SqlFilterError('NULL cannot be compared with = or <>: use IS NULL or IS NOT NULL');
  if (l.constant !== undefined && r.constant !== undefined && l.boolean && !r.boolean) throw new SqlFilterError(`${describe(l)} cannot be compared with ${describe(r)}`);
}

function equal(l: Node, r: Node): Node {
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

function relational(op: string, l: Node, r: Node): Node {
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

function between(value: Node, low: Node, high: Node, not: boolean): Node {
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

function inList(n: Node, list: ReadonlySet<string>, not: boolean): Node {
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

function textTest(op: string, not: boolean, n: Node, search: string): Node {
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
