// Reads the output of `strace -f -y -ttt -xx -s <big>` into whole system
// calls. With -f, a call interrupted by another thread's event is printed in
// two lines ("<unfinished ...>", then "<... name resumed>"); the line index
// of each half is the call's place in one global order (strace prints an
// event when the tracee stops for it, so a call that returned before another
// began is always printed first). With -xx every byte of every string and
// path is written as \xNN, so no quote, comma or bracket inside one can
// confuse the split below.

export interface Syscall {
  pid: number;
  name: string;
  /** Top-level arguments, as printed. */
  args: string[];
  /** The return value as printed ("14", "-1 ENOENT (...)", "12<\x2f...>", "?"). */
  ret: string;
  /** Line index where the call began / ended (Infinity: never returned). */
  entry: number;
  exit: number;
  /** Wall-clock ms (from -ttt) when it began / ended. */
  entryMs: number;
  exitMs: number;
}

const LINE = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/;
const RESUMED = /^<\.\.\. ([a-z0-9_]+) resumed>(.*)$/;
const UNFINISHED = ' <unfinished ...>';

/** Parses a whole trace. Throws on a line it cannot read (better than silently losing a write). */
export function parseStrace(text: string): Syscall[] {
  const out: Syscall[] = [];
  const pending = new Map<number, { text: string; entry: number; entryMs: number }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`strace line ${i + 1} not understood: ${line.slice(0, 200)}`);
    const pid = Number(m[1]);
    const ms = Number(m[2]) * 1000;
    let rest = m[3]!;
    if (rest.startsWith('+++') || rest.startsWith('---')) continue; // exits, signals
    let entry = i;
    let entryMs = ms;
    const resumed = RESUMED.exec(rest);
    if (resumed) {
      const p = pending.get(pid);
      if (!p) throw new Error(`strace line ${i + 1}: resumed call without its start`);
      pending.delete(pid);
      rest = p.text + resumed[2]!;
      entry = p.entry;
      entryMs = p.entryMs;
    } else if (rest.endsWith(UNFINISHED)) {
      pending.set(pid, { text: rest.slice(0, -UNFINISHED.length), entry: i, entryMs: ms });
      continue;
    }
    out.push(complete(rest, pid, entry, i, entryMs, ms, i));
  }
  // Calls still running when the trace ended (the process exited meanwhile).
  for (const [pid, p] of pending) out.push(complete(`${p.text}) = ?`, pid, p.entry, Infinity, p.entryMs, Infinity, p.entry));
  return out.sort((a, b) => a.exit - b.exit || a.entry - b.entry);
}

function complete(text: string, pid: number, entry: number, exit: number, entryMs: number, exitMs: number, line: number): Syscall {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(') = ');
  if (open < 0 || close < 0) throw new Error(`strace line ${line + 1}: no call in ${text.slice(0, 200)}`);
  return { pid, name: text.slice(0, open), args: splitArgs(text.slice(open + 1, close)), ret: text.slice(close + 4), entry, exit, entryMs, exitMs };
}

/** Splits at top-level ", " (not inside [], {} or the <> of a decoded fd). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '[' || c === '{' || c === '<') depth++;
    else if (c === ']' || c === '}' || c === '>') depth--;
    else if (c === ',' && depth === 0 && s[i + 1] === ' ') {
      out.push(s.slice(from, i));
      from = i + 2;
    }
  }
  if (from < s.length) out.push(s.slice(from));
  return out;
}

/** The bytes of a quoted -xx string ("\x41\x42"). Throws if strace cut it short (-s too small). */
export function bytesOf(quoted: string): Buffer {
  if (!quoted.startsWith('"')) throw new Error(`not a string: ${quoted.slice(0, 60)}`);
  const end = quoted.lastIndexOf('"');
  if (quoted.slice(end + 1) === '...') throw new Error('strace truncated a string: raise -s');
  return Buffer.from(quoted.slice(1, end).replaceAll('\\x', ''), 'hex');
}

/** An fd argument as -y prints it: `12<\x2f...>` (maybe with "(deleted)"). */
export function fdOf(arg: string): { fd: number; path: string | null } {
  const m = /^(-?\d+|AT_FDCWD)(?:<([^>]*)>)?/.exec(arg);
  if (!m) throw new Error(`not an fd: ${arg.slice(0, 60)}`);
  return { fd: m[1] === 'AT_FDCWD' ? -100 : Number(m[1]), path: m[2] === undefined ? null : decodeText(m[2]) };
}

/** The bytes of an iovec array, in order: what writev/pwritev wrote. */
export function iovBytes(arg: string): Buffer {
  const parts: Buffer[] = [];
  for (const m of arg.matchAll(/iov_base=("[^"]*"(?:\.\.\.)?)/g)) parts.push(bytesOf(m[1]!));
  return Buffer.concat(parts);
}

export function decodeText(hex: string): string {
  return Buffer.from(hex.replaceAll('\\x', ''), 'hex').toString('utf8');
}

/** The numeric return value, or null for a failed or unfinished call. */
export function retNumber(ret: string): number | null {
  const m = /^(-?\d+)/.exec(ret);
  if (!m) return null;
  const n = Number(m[1]);
  return n < 0 ? null : n;
}
