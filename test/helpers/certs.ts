// A throwaway certificate authority made with Debian's openssl for the
// security tests (the broker's part is the lab's, src/lab/certs.ts): a broker key store (PEM: key and chain in one file, and
// the same key encrypted), a client certificate it signed, and one signed
// by an authority nobody trusts. P-256 keys, valid for two days.
import { join } from 'node:path';
import { authority, concat, makeServerCerts, openssl, signed } from '../../src/lab/certs.js';
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

export { hasOpenssl } from '../../src/lab/certs.js';

export function makeTestCerts(): TestCerts {
  const tmp = tempDir('mqlab-certs-');
  const dir = tmp.dir;
  const p = (f: string): string => join(dir, f);
  const { caPem, serverStore } = makeServerCerts(dir);
  authority(dir, 'rogue-ca', '/CN=nobody trusts this CA');
  signed(dir, 'client', '/O=mqlab/CN=alice', 'ca', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'rogue', '/O=mqlab/CN=mallory', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const serverKeyPassword = 'key store secret';
  openssl(['pkey', '-in', 'server.key', '-aes256', '-passout', `pass:${serverKeyPassword}`, '-out', 'server-enc.key'], dir);
  const cat = (out: string, ...files: string[]): string => concat(dir, out, ...files);
  return {
    dir,
    caPem,
    serverStore,
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
