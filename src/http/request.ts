// Reading a request: its body (with an explicit size limit), query and path
// parameters, each checked, so a bad value is a 400 that says which.
import type { Call } from './context.js';
import { HttpError, badRequest } from './errors.js';

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`, { limit }, {}, true);
}

/**
 * The whole body, at most `limit` bytes. A body declared larger is refused
 * before any of it is read; one that grows past the limit (chunked) is cut
 * off. Either way the answer closes the connection, since skipping the rest
 * of a large body would cost as much as reading it. What is read counts
 * against the server's body budget (reading pauses while it is spent) until
 * the request is answered: the router gives it back.
 */
export function readBody(call: Call, limit: number): Promise<Buffer> {
  const { req } = call;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  const reading = call.ctx.bodyBudget.start();
  call.body = reading;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      reading.end();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
      if (!reading.take(chunk.length)) {
        req.pause();
        reading.waitForTurn(() => req.resume());
      }
    };
    const onEnd = (): void => {
      done();
      call.meter.bodyBytesIn += size;
      // The usual case, a body in one chunk, is used as it came: no copy.
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    // The client went away (or a timeout cut it off) before its body ended.
    const onClose = (): void => {
      done();
      reject(new HttpError(400, 'INVALID_REQUEST', 'the request ended before its body did'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.once('error', reject);
  });
}

/** The body as JSON; undefined if empty. */
export async function readJson(call: Call, limit: number): Promise<unknown> {
  const body = await readBody(call, limit);
  return body.length === 0 ? undefined : parseJson(body);
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new HttpError(400, 'INVALID_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The media type without parameters, lower case ("" if none). */
export function mediaType(call: Call): string {
  const type = call.req.headers['content-type'];
  if (!type) return '';
  const semi = type.indexOf(';');
  return (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
}

/** A query string's parameters; `+` is a space, as in forms. */
export function parseQuery(qs: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (qs === '') return out;
  for (const pair of qs.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    out[decode(name)] = decode(value);
  }
  return out;
}

export function decode(component: string): string {
  try {
    return decodeURIComponent(component.includes('+') ? component.replace(/\+/g, ' ') : component);
  } catch {
    throw badRequest(`malformed percent-encoding in "${component}"`);
  }
}

/** An integer parameter in [min, max], or `fallback` when absent. */
export function intParam(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw badRequest(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** A partition number from the path. */
export function partitionParam(value: string): number {
  return intParam(value, 'partition', 0, 2 ** 31 - 1, -1);
}
