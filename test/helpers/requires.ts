// Tests that need a tool from Debian (kcat, chromium, strace) or root are
// skipped where it is missing, except under CI, where .ci/run installs
// everything and a skip would hide a test that never ran: there it fails.
export function missing(what: string, available: boolean): boolean {
  if (!available && process.env.CI === 'true') {
    throw new Error(`${what} is missing: under CI=true every test must run (.ci/run installs what the tests need)`);
  }
  return !available;
}
