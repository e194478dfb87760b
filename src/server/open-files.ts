// Every connection and every partition holds open files (a socket; the
// segmented engine's log, offset index and time index per partition), so
// max.connections and mqlab.max.partitions together must fit the process's
// open-file limit. Past it, the next open fails with EMFILE wherever it
// happens: accepting a client, creating a partition, rolling a segment. The
// broker says so at startup instead.

/** Files a partition holds open (the segmented engine's three; the commit log needs fewer). */
export const FILES_PER_PARTITION = 3;
/** The broker's own files besides those: data files of internal state, the addon, stdio, listeners. */
const OWN_FILES = 256;

/** The soft limit on open files (RLIMIT_NOFILE) from /proc/self/limits, or null where that cannot be read. */
export function openFileLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** A warning when the limits could need more files than the process may open, or null. */
export function openFilesWarning(limit: number | null, maxConnections: number, maxPartitions: number): string | null {
  if (limit === null) return null;
  const need = maxConnections + FILES_PER_PARTITION * maxPartitions + OWN_FILES;
  if (need <= limit) return null;
  return (
    `the open-file limit (${limit}) is below what max.connections (${maxConnections}) and mqlab.max.partitions (${maxPartitions}) may need (about ${need}): ` +
    `past it, accepting connections and creating partitions fail (EMFILE); raise it (ulimit -n) or lower those settings`
  );
}
