// A throwaway certificate authority made with Debian's openssl for the
// security tests: a broker key store (PEM: key and chain in one file, and
// the same key encrypted), a client certificate it signed, and one signed
// by an authority nobody trusts. P-256 keys, valid for two days.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './files.js';

export interface TestCerts {
  dir: string;
  /** The authority's certificate: the trust store of both sides. */
  caPem: string;
  /** Broker key store: private key, then certificate (CN=localhost, SAN IP 127.0.0.1 and localhost). */
  serverStore: string;
  /** The same with the key encrypted under `serverKeyPassword`. */
  serverEncryptedStore: string;
  serverKeyPassword: string;
  /** A client certificate the authority signed (subject O=mqlab, CN=alice), its key, and both in one file. */
  clientCert: string;
  clientKey: string;
  clientStore: string;
  /** A client signed by another authority. */
  rogueCert: string;
  rogueKey: string;
  cleanup(): void;
}

export const hasOpenssl = (): boolean => spawnSync('openssl', ['version']).status === 0;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function signed(cwd: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], cwd);
  writeFileSync(join(cwd, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], cwd);
}

export function makeTestCerts(): TestCerts {
  const tmp = tempDir('mqlab-certs-');
  const dir = tmp.dir;
  const p = (f: string): string => join(dir, f);
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mqlab test CA'], dir);
  openssl(['req', '-x509', ...EC, '-keyout', 'rogue-ca.key', '-out', 'rogue-ca.pem', '-days', '2', '-subj', '/CN=nobody trusts this CA'], dir);
  signed(dir, 'server', '/CN=localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'client', '/O=mqlab/CN=alice', 'ca', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'rogue', '/O=mqlab/CN=mallory', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const serverKeyPassword = 'key store secret';
  openssl(['pkey', '-in', 'server.key', '-aes256', '-passout', `pass:${serverKeyPassword}`, '-out', 'server-enc.key'], dir);
  const cat = (out: string, ...files: string[]): string => {
    writeFileSync(p(out), files.map((f) => readFileSync(p(f), 'utf8')).join(''));
    return p(out);
  };
  return {
    dir,
    caPem: p('ca.pem'),
    serverStore: cat('server-store.pem', 'server.key', 'server.pem'),
    serverEncryptedStore: cat('server-enc-store.pem', 'server-enc.key', 'server.pem'),
    serverKeyPassword,
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    clientStore: cat('client-store.pem', 'client.key', 'client.pem'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue.key'),
    cleanup: tmp.cleanup,
  };
}
