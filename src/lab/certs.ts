// A throwaway certificate authority and broker key store, made with the
// machine's openssl when they are needed (the lab's TLS listener, the
// security tests): no key is ever committed. P-256 keys, valid two days.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hasOpenssl = (): boolean => spawnSync('openssl', ['version']).status === 0;

export function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed authority: <name>.key and <name>.pem in `cwd`. */
export function authority(cwd: string, name: string, subject: string): void {
  openssl(['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject], cwd);
}

/** A key and a certificate the authority `ca` signed: <name>.key and <name>.pem. */
export function signed(cwd: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], cwd);
  writeFileSync(join(cwd, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], cwd);
}

/** Concatenates files of `dir` into `out` (a PEM key store is key then chain) and returns its path. */
export function concat(dir: string, out: string, ...files: string[]): string {
  writeFileSync(join(dir, out), files.map((f) => readFileSync(join(dir, f), 'utf8')).join(''));
  return join(dir, out);
}

export interface ServerCerts {
  /** The authority's certificate: what clients trust. */
  caPem: string;
  /** Private key, then certificate (CN=localhost, SAN IP 127.0.0.1 and localhost): ssl.keystore.location. */
  serverStore: string;
}

/** ca.{key,pem} and a broker key store, in `dir`. */
export function makeServerCerts(dir: string): ServerCerts {
  authority(dir, 'ca', '/CN=mqlab test CA');
  signed(dir, 'server', '/CN=localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  return { caPem: join(dir, 'ca.pem'), serverStore: concat(dir, 'server-store.pem', 'server.key', 'server.pem') };
}
