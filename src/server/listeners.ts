// From settings to the listeners the broker opens: each listener's security
// protocol (listener.security.protocol.map), its TLS material read from the
// files Kafka's ssl.* configs name, its SASL mechanisms; a config set as
// listener.name.<listener>.<config> applies to that listener alone.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { BROKER_CONFIG_DEFAULTS, LISTENER_PREFIXED } from '../broker/configs.js';
import { isSasl, isTls, type ListenerInfo, type SecurityProtocol } from '../broker/network/session.js';
import type { ServeSettings } from './settings.js';

export interface ListenerTls {
  /** Key, chain, trusted authorities: checked at start by building a context from them. */
  options: SecureContextOptions;
  /** ssl.client.auth */
  clientAuth: 'none' | 'requested' | 'required';
}

export interface ListenerSpec extends ListenerInfo {
  tls: ListenerTls | null;
}

/** A config for one listener: its prefixed value, else the broker's, else the default. */
export function listenerConfig(configs: Record<string, string>, listener: string, name: string): string {
  return configs[`listener.name.${listener.toLowerCase()}.${name}`] ?? configs[name] ?? BROKER_CONFIG_DEFAULTS[name] ?? '';
}

function protocolMap(configs: Record<string, string>): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  const text = configs['listener.security.protocol.map'] ?? BROKER_CONFIG_DEFAULTS['listener.security.protocol.map']!;
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const [name, protocol] = entry.split(':') as [string, SecurityProtocol];
    map.set(name.toUpperCase(), protocol);
  }
  return map;
}

export function resolveListeners(settings: ServeSettings): ListenerSpec[] {
  const map = protocolMap(settings.configs);
  const prefixed = Object.keys(settings.configs)
    .map((k) => LISTENER_PREFIXED.exec(k)?.[1])
    .filter((n): n is string => n !== undefined);
  for (const name of prefixed) {
    if (!settings.listeners.some((l) => l.name.toLowerCase() === name)) throw new Error(`listener.name.${name}.* names no listener (listeners: ${settings.listeners.map((l) => l.name).join(', ')})`);
  }
  return settings.listeners.map((l) => {
    const protocol = map.get(l.name);
    if (!protocol) throw new Error(`listener ${l.name} has no security protocol: add ${l.name}:PLAINTEXT (or SSL, SASL_PLAINTEXT, SASL_SSL) to listener.security.protocol.map`);
    const c = (name: string): string => listenerConfig(settings.configs, l.name, name);
    return {
      name: l.name,
      protocol,
      host: l.host,
      port: l.port,
      saslMechanisms: isSasl(protocol) ? c('sasl.enabled.mechanisms').split(',').map((m) => m.trim()).filter((m) => m !== '') : [],
      reauthMs: isSasl(protocol) ? Number(c('connections.max.reauth.ms')) : 0,
      tls: isTls(protocol) ? listenerTls(l.name, c, true) : null,
    };
  });
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a file by kind: keys and certificates. */
function pemBlocks(text: string): { keys: string[]; certs: string[] } {
  const keys: string[] = [];
  const certs: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1]!.endsWith('PRIVATE KEY')) keys.push(m[0]);
    else if (m[1] === 'CERTIFICATE') certs.push(m[0]);
  }
  return { keys, certs };
}

function readConfigFile(config: string, listener: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`listener ${listener}: ${config}=${file} cannot be read: ${(err as Error).message}`);
  }
}

/**
 * The listener's TLS context from its key store (PEM: its private key and
 * certificate chain in one file; or PKCS12) and trust store. Errors name
 * the config and the file, never a password.
 */
function listenerTls(listener: string, c: (name: string) => string, clientCertificates: boolean): ListenerTls {
  const location = c('ssl.keystore.location');
  if (!location) throw new Error(`listener ${listener} uses TLS: set ssl.keystore.location (or listener.name.${listener.toLowerCase()}.ssl.keystore.location) to its key and certificate chain`);
  const clientAuth = c('ssl.client.auth') as ListenerTls['clientAuth'];
  const options: SecureContextOptions = {};
  const store = readConfigFile('ssl.keystore.location', listener, location);
  if (c('ssl.keystore.type') === 'PKCS12') {
    // Node trusts every authority bundled in a PKCS12 file for client certificates too, beyond the trust store.
    if (clientAuth !== 'none' && clientCertificates) throw new Error(`listener ${listener}: ssl.client.auth=${clientAuth} takes a PEM key store (ssl.keystore.type=PEM): with PKCS12, Node would also trust the authorities bundled in it`);
    options.pfx = store;
    options.passphrase = c('ssl.keystore.password') || undefined;
  } else {
    const { keys, certs } = pemBlocks(store.toString('latin1'));
    if (keys.length !== 1) throw new Error(`listener ${listener}: ssl.keystore.location=${location} holds ${keys.length} private keys; a PEM key store holds exactly one, and its certificate chain`);
    if (certs.length === 0) throw new Error(`listener ${listener}: ssl.keystore.location=${location} holds no certificate; a PEM key store holds the private key and its certificate chain`);
    options.key = keys[0];
    options.cert = certs.join('\n');
    options.passphrase = c('ssl.key.password') || undefined;
  }
  const trust = c('ssl.truststore.location');
  if (trust) {
    const { certs } = pemBlocks(readConfigFile('ssl.truststore.location', listener, trust).toString('latin1'));
    if (certs.length === 0) throw new Error(`listener ${listener}: ssl.truststore.location=${trust} holds no certificate`);
    options.ca = certs;
  } else if (clientAuth !== 'none' && clientCertificates) {
    throw new Error(`listener ${listener}: ssl.client.auth=${clientAuth} needs ssl.truststore.location (the authorities client certificates must be signed by)`);
  }
  try {
    createSecureContext(options);
    return { options, clientAuth };
  } catch (err) {
    // OpenSSL's own words ("bad decrypt", "key values mismatch"): no secret is in them.
    throw new Error(`listener ${listener}: the key store ${location} cannot be used: ${(err as Error).message}`);
  }
}

/**
 * The HTTP API's TLS (mqlab serve --http-tls): the broker's key store, as
 * ssl.keystore.* name it. Clients log in with Basic credentials there, not
 * with certificates.
 */
export function httpTlsOptions(configs: Record<string, string>): SecureContextOptions {
  return listenerTls('HTTP', (name) => configs[name] ?? BROKER_CONFIG_DEFAULTS[name] ?? '', false).options;
}

/**
 * The RocketMQ endpoint's TLS (mqlab serve --rocketmq-tls): the broker's PEM
 * key store, its key decrypted here (grpc-js takes no key password).
 */
export function rocketmqTlsKeyPair(configs: Record<string, string>): { privateKey: Buffer; certChain: Buffer } {
  const c = (name: string): string => configs[name] ?? BROKER_CONFIG_DEFAULTS[name] ?? '';
  if (c('ssl.keystore.type') !== 'PEM') throw new Error('the RocketMQ endpoint\'s TLS takes a PEM key store (ssl.keystore.type=PEM)');
  const { options } = listenerTls('RocketMQ', c, false);
  let key: string;
  try {
    key = createPrivateKey({ key: options.key as string, passphrase: (options.passphrase as string | undefined) ?? undefined }).export({ format: 'pem', type: 'pkcs8' }) as string;
  } catch (err) {
    throw new Error(`the RocketMQ endpoint's TLS: the key in ${c('ssl.keystore.location')} cannot be read: ${(err as Error).message}`);
  }
  return { privateKey: Buffer.from(key), certChain: Buffer.from(options.cert as string) };
}

/**
 * Kafka's principal for a client certificate: User: and the subject's
 * distinguished name in RFC 2253 form (most specific first). `subject` is
 * X509Certificate.subject: one RDN a line, in the certificate's order,
 * already escaped as RFC 2253 asks (OpenSSL's ESC_2253).
 */
export function certificatePrincipal(subject: string): string {
  return `User:${subject.split('\n').filter((l) => l !== '').reverse().join(',')}`;
}
