// Regions may hold a lease on their file (FileRegion.file, where file leases
// exist): tests that read regions themselves give it back, or thousands of
// reads leave files open.
export function releaseLeases(regions: readonly object[]): void {
  for (const r of regions) (r as { file?: { release?: () => void } }).file?.release?.();
}
