// The bar a produce run is held to: a positional write(2) loop of the same
// batch bytes and volume, to a new file on the broker's file system, run in
// the same rep next to it. On this VM a write loop's speed moves by 4x from
// run to run (page allocation and zeroing), so only a figure from the same
// minute is a fair denominator.
//
// The file is created new (never overwritten: every page must be a new
// page-cache page, as the broker's log's are) and is not deleted here: the
// caller deletes it together with the broker's log once both runs of the
// pair are done, so neither run is handed the pages the other just freed.
import { closeSync, openSync, writeSync } from 'node:fs';

export interface RawWriteResult {
  bytes: number;
  seconds: number;
  /** This process's CPU seconds over the loop (user + system): the kernel's cost of the bytes alone. */
  cpuSeconds: number;
}

/** As many copies of the batch as the load producer keeps in flight (its window), so both read as much memory. */
export function rawWriteLoop(file: string, batch: Buffer, batches: number, copies: number): RawWriteResult {
  const sources = Array.from({ length: Math.max(1, copies) }, () => Buffer.from(batch));
  const fd = openSync(file, 'wx');
  try {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let pos = 0;
    for (let i = 0; i < batches; i++) {
      writeSync(fd, sources[i % sources.length]!, 0, batch.length, pos);
      pos += batch.length;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    return { bytes: pos, seconds, cpuSeconds: (c.user + c.system) / 1e6 };
  } finally {
    closeSync(fd);
  }
}
