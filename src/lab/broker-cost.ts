// What a lab broker spent over a run, from two sources that see different
// paths: the addon's counters (sends through the transfer layer, which the
// Kafka and HTTP fetch paths use) and /proc/<pid>/io (every read- and
// write-family call, so also the RocketMQ gRPC endpoint, which writes
// through Node's own sockets). Together they say, for any path, how many
// bytes the CPU copied across the kernel boundary and how many went by
// sendfile without a copy.
import { cpuSecondsBetween, type BrokerProcess, type BrokerStats } from './broker-process.js';
import { procIo, procIoBetween, type ProcIo } from './proc-io.js';

export interface Snapshot {
  stats: BrokerStats;
  io: ProcIo | null;
}

/** Stats and I/O counters now; with `reset`, the addon's counters start again from zero. */
export async function snapshot(b: BrokerProcess, reset = false): Promise<Snapshot> {
  const stats = reset ? await b.resetCounters() : await b.stats();
  return { stats, io: procIo(b.pid) };
}

export interface BrokerCost {
  cpuSeconds: number;
  /** Addon, every strategy together: system calls, log bytes sent, log bytes the CPU copied. */
  addonCalls: number;
  addonBytes: number;
  addonCopied: number;
  sendfileCalls: number;
  sendfileBytes: number;
  /** /proc/<pid>/io (null where unreadable). */
  io: ProcIo | null;
}

/** The cost between two snapshots; `a` must be the one taken with reset (the addon's counters are absolute). */
export function costBetween(a: Snapshot, b: Snapshot): BrokerCost {
  let addonCalls = 0;
  let addonBytes = 0;
  let addonCopied = 0;
  for (const c of Object.values(b.stats.transfer)) {
    addonCalls += Object.values(c.syscalls).reduce((n, v) => n + v, 0);
    addonBytes += c.fileBytes;
    addonCopied += c.copiedBytes;
  }
  const sf = b.stats.transfer.sendfile;
  return {
    cpuSeconds: cpuSecondsBetween(a.stats, b.stats),
    addonCalls,
    addonBytes,
    addonCopied,
    sendfileCalls: sf.syscalls.sendfile,
    sendfileBytes: sf.fileBytes,
    io: a.io && b.io ? procIoBetween(a.io, b.io) : null,
  };
}

/** Per byte of `logBytes` delivered: what went through read/write calls (each a CPU copy), sendfile excluded. */
export function perByte(c: BrokerCost, logBytes: number): { read: number; written: number; copies: number; calls: number } {
  if (!c.io) return { read: NaN, written: NaN, copies: NaN, calls: NaN };
  // sendfile counts in rchar and wchar (and syscr and syscw) alike, yet copies nothing.
  const read = (c.io.rchar - c.sendfileBytes) / logBytes;
  const written = (c.io.wchar - c.sendfileBytes) / logBytes;
  return { read, written, copies: read + written, calls: (c.io.syscr + c.io.syscw - c.sendfileCalls) / (logBytes / 1e9) };
}
