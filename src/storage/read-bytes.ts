import { readSync } from 'node:fs';
import type { FileRegion } from '../transfer/types.js';

/** The bytes of file regions, read into memory (for the paths that must look inside records). */
export function readRegionBytes(regions: readonly FileRegion[]): Buffer {
  const out = Buffer.allocUnsafe(regions.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of regions) {
    let got = 0;
    while (got < r.length) {
      const n = readSync(r.fd, out, at + got, r.length - got, r.position + got);
      if (n === 0) throw new Error(`region ${r.position}+${r.length} lies past the end of its file`);
      got += n;
    }
    at += r.length;
  }
  return out;
}
