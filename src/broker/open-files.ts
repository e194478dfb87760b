// Every connection holds a socket and the storage engine holds files, so
// max.connections and mqlab.storage.max.open.files together must fit the
// process's open-file limit. Past it, the next open fails with EMFILE
// wherever it happens: accepting a client, reopening a segment. The storage
// budget bounds the engine's files whatever the number of partitions (before
// it, the Kafka fuzzer, seed 523831045, grew a topic to thousands of
// partitions and the broker ran out of file descriptors); by default it is
// what the limit leaves after the connections, and the broker says at
// startup when the settings ask for more than the limit allows.
import { MIN_OPEN_FILES, defaultMaxOpenFiles } from '../storage/file-pool.js';

/** The broker's own files besides connections and storage: internal state, the addon, stdio, listeners, fds leased by responses. */
const OWN_FILES = 256;

/**
 * The storage engine's open-file budget: mqlab.storage.max.open.files, or
 * where that is -1 what the process's limit leaves after a socket per
 * allowed connection and the broker's own files. Where that leaves less
 * than a quarter of the limit (the usual soft limit of 1024 against the
 * default 10,000 connections), half the limit: max.connections is a
 * ceiling few brokers reach, while a budget of a few files would reopen a
 * file for nearly every append; the startup warning says so.
 */
export function storageMaxOpenFiles(configured: number, processLimit: number | null, maxConnections: number): number {
  if (configured !== -1) return configured;
  if (processLimit === null) return defaultMaxOpenFiles(null);
  const left = Math.min(Number.MAX_SAFE_INTEGER, processLimit - maxConnections - OWN_FILES);
  return left >= Math.min(processLimit, Number.MAX_SAFE_INTEGER) / 4 ? Math.max(MIN_OPEN_FILES, left) : defaultMaxOpenFiles(processLimit);
}

/** A warning when the settings could need more files than the process may open, or null. */
export function openFilesWarning(limit: number | null, maxConnections: number, maxOpenFiles: number): string | null {
  if (limit === null) return null;
  const need = maxConnections + maxOpenFiles + OWN_FILES;
  if (need <= limit) return null;
  return (
    `the open-file limit (${limit}) is below what max.connections (${maxConnections}, with rocketmq.max.connections when the RocketMQ endpoint is on) and mqlab.storage.max.open.files (${maxOpenFiles}) may need (about ${need}): ` +
    `past it, accepting connections and opening storage files fail (EMFILE); raise it (ulimit -n) or lower those settings`
  );
}
