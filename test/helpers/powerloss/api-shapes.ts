// Reading engine answers whose shape other branches are changing, so these
// tests hold on either side of a merge.

/**
 * Regions may hold a lease on their file (FileRegion.file, where file leases
 * exist): tests that read regions themselves give it back, or thousands of
 * reads leave files open.
 */
export function releaseLeases(regions: readonly object[]): void {
  for (const r of regions) (r as { file?: { release?: () => void } }).file?.release?.();
}

/** offsetForTime's answer as a number: a bare offset, or an offset-and-timestamp pair. */
export function offsetOf(found: unknown): number | null {
  if (found === null || found === undefined) return null;
  return Number(typeof found === 'object' ? (found as { offset: bigint }).offset : (found as bigint));
}
