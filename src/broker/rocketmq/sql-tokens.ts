// SQL92 filter expressions as RocketMQ's JavaCC lexer (SelectorParser.jj)
// splits them: keywords in any case, the longest literal wins, -- and /* */
// comments skipped.
import { SqlFilterError } from './sql-nodes.js';

export type Kind = 'kw' | 'int' | 'float' | 'string' | 'id' | 'op' | 'end';
export interface Token {
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

export function tokenize(s: string): Token[] {
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
