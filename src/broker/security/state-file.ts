// The security stores' files (users.json, acls.json) are versioned JSON
// objects holding one list. Reading one checks that much and hands over the
// list and a way to fail that names the file: a broker must not start on a
// store it cannot read, or it would run with no users or no ACLs.
import { readFileSync } from 'node:fs';

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface StateList {
  items: unknown[];
  /** Throws the error for this file with `why`. */
  fail(why: string): never;
}

export function readStateList(file: string, o: { what: string; version: number; key: string; without: string }): StateList {
  const fail = (why: string): never => {
    throw new Error(`${o.what} ${file}: ${why}; fix it or restore it from a backup (the broker does not start without its ${o.without})`);
  };
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(saved)) return fail('not a JSON object');
  if (saved.version !== o.version) return fail(`version ${JSON.stringify(saved.version)}, this broker reads version ${o.version}`);
  const items = saved[o.key];
  if (!Array.isArray(items)) return fail(`"${o.key}" is not a list`);
  return { items, fail };
}
