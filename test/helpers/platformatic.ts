// @platformatic/kafka as an independent implementation of Kafka's flexible
// versions: each of its API modules (metadataV12, fetchV17, …) encodes the
// request and parses the response of exactly one version, written from
// Kafka's protocol guide, not from mqlab's declarations. A golden test sends
// one through `call` and checks what comes back; a response mqlab encodes
// wrongly for that version fails to parse there.
import { Connection } from '@platformatic/kafka';

/** One of @platformatic/kafka's per-version API modules: `api.async(connection, ...createRequest's arguments)`. */
export interface VersionedApi {
  api: { async(connection: Connection, ...args: unknown[]): Promise<unknown>; key: number; version: number };
}

export async function openPlatformatic(port: number, clientId = 'golden'): Promise<Connection> {
  const c = new Connection(clientId);
  await c.connect('127.0.0.1', port);
  return c;
}

/**
 * Sends one request at the module's version and returns the parsed response.
 * A response carrying error codes rejects with the library's ResponseError,
 * whose `response` holds the parsed body: `errorCodes` gives back the body
 * either way, so tests can check the codes themselves.
 */
export async function call<T = any>(c: Connection, m: VersionedApi, ...args: unknown[]): Promise<T> {
  return (await m.api.async(c, ...args)) as T;
}

/** The parsed body of a response, whether or not it carried error codes. */
export async function callAllowingErrors<T = any>(c: Connection, m: VersionedApi, ...args: unknown[]): Promise<T> {
  try {
    return (await m.api.async(c, ...args)) as T;
  } catch (err) {
    const response = (err as { response?: unknown }).response;
    if (response === undefined) throw err;
    return response as T;
  }
}

export async function closePlatformatic(c: Connection): Promise<void> {
  await c.close();
}
