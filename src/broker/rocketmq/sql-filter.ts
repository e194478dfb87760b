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
// This file parses (recursive descent, the grammar's precedence); the
// lexer is sql-tokens.ts, the nodes and Java's comparisons sql-nodes.ts.
import { INT_MAX, LONG_MAX, SqlFilterError, UNMATCHABLE, between, checkEqualOperands, describe, equal, inList, literal, logic, negate, negation, property, relational, short, textTest, type Eval, type Node, type Props } from './sql-nodes.js';
import { tokenize, type Kind, type Token } from './sql-tokens.js';

export const MAX_SQL_CHARS = 8192;
/** Nesting (parentheses, NOT, unary signs) deeper than this is refused rather than recursed into. */
export const MAX_SQL_DEPTH = 100;

export { SqlFilterError } from './sql-nodes.js';

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
    return this.logicLevel('OR', () => this.and());
  }

  private and(): Node {
    return this.logicLevel('AND', () => this.equality());
  }

  /** Operands of `op` (left-associative), each read by `operand`. */
  private logicLevel(op: 'AND' | 'OR', operand: () => Node): Node {
    let left = operand();
    while (this.is('kw', op)) {
      this.next();
      left = logic(op, this.asBoolean(left), this.asBoolean(operand()));
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
