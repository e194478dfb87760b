// Whether this machine's kernel could do TLS itself (kTLS), which is what
// sendfile over TLS would need: the TCP "tls" upper-layer protocol must be
// available. Read from /proc at run time, so a report says what the machine
// it ran on allowed, not what the author's did.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';

export interface KernelTls {
  /** /proc/sys/net/ipv4/tcp_available_ulp, or null when unreadable. */
  ulps: string[] | null;
  /** The CONFIG_TLS line of the kernel's config (/proc/config.gz, /boot/config-*), or null when neither is there. */
  config: string | null;
  /** setsockopt(TCP_ULP, "tls") can succeed: "tls" is listed, or the config builds it (y, or m: loaded on first use). */
  possible: boolean;
}

function read(path: string): string | null {
  try {
    return path.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('latin1') : readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

export function probeKernelTls(): KernelTls {
  const ulp = read('/proc/sys/net/ipv4/tcp_available_ulp');
  const ulps = ulp === null ? null : ulp.trim().split(/\s+/).filter((x) => x.length > 0);
  const source = ['/proc/config.gz', `/boot/config-${release()}`].find((p) => existsSync(p));
  const text = source ? read(source) : null;
  const config = text === null ? null : (/^(# )?CONFIG_TLS( is not set|=.*)$/m.exec(text)?.[0] ?? 'no CONFIG_TLS line');
  const possible = (ulps?.includes('tls') ?? false) || (config !== null && /^CONFIG_TLS=[ym]$/.test(config));
  return { ulps, config, possible };
}

/** The finding in a sentence, for a report's notes. */
export function kernelTlsNote(k: KernelTls): string {
  const ulps = k.ulps === null ? 'tcp_available_ulp is unreadable' : `/proc/sys/net/ipv4/tcp_available_ulp lists ${k.ulps.length > 0 ? k.ulps.join(', ') : 'nothing'}`;
  const config = k.config === null ? 'the kernel config is not published (/proc/config.gz, /boot)' : `the kernel config says "${k.config}"`;
  const node =
    "Node 20's TLS is OpenSSL over memory BIOs: it encrypts in user space and never hands a socket to kTLS. Reaching kTLS would take a kernel with CONFIG_TLS and the addon itself setting TCP_ULP and TLS_TX with the traffic keys (derived from the TLS socket's 'keylog' secrets)";
  return k.possible
    ? `Kernel TLS (${release()}): ${ulps} and ${config}, so setsockopt(TCP_ULP, "tls") could succeed here. ${node}; the broker does not do that, so this run's TLS figures are user-space encryption.`
    : `Kernel TLS (${release()}): ${ulps} and ${config}, so setsockopt(TCP_ULP, "tls") cannot succeed: sendfile over TLS is impossible on this machine. ${node}.`;
}
