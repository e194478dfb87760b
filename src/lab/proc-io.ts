// A process's I/O accounting from /proc/<pid>/io: what its read-family and
// write-family system calls moved, whichever code made them. The addon
// counts only the sends it makes; a path that bypasses it (the RocketMQ gRPC
// endpoint writes through Node's own sockets) shows up here. rchar/wchar
// count read(2), pread(2), readv(2), write(2), writev(2) and sendfile(2)
// (on both sides), not recvmsg(2)/sendmsg(2); the lab's stats replies add a
// few hundred bytes of writev.
import { readFileSync } from 'node:fs';

export interface ProcIo {
  /** Bytes returned by read-family calls (page cache or socket alike), and by sendfile. */
  rchar: number;
  /** Bytes accepted by write-family calls, and by sendfile. */
  wchar: number;
  /** Read-family calls (sendfile counts here too). */
  syscr: number;
  /** Write-family calls (sendfile counts here too). */
  syscw: number;
}

/** The counters now, or null where /proc/<pid>/io cannot be read (not Linux, or no permission). */
export function procIo(pid: number): ProcIo | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    return null;
  }
  const v = (k: string): number => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rchar: v('rchar'), wchar: v('wchar'), syscr: v('syscr'), syscw: v('syscw') };
}

export function procIoBetween(a: ProcIo, b: ProcIo): ProcIo {
  return { rchar: b.rchar - a.rchar, wchar: b.wchar - a.wchar, syscr: b.syscr - a.syscr, syscw: b.syscw - a.syscw };
}
