// Requests that name the same thing twice. Most answers cost about what
// their request did, but some answer a few bytes of request with a lot (a
// resource's every config, a group's every member); those answer a name
// once per request and refuse its repeats, so that a request's answer
// stays within a small multiple of its size.

/** Each key's first index in `keys`: an index whose key maps elsewhere is a repeat. */
export function firstIndexes(keys: readonly string[]): Map<string, number> {
  const first = new Map<string, number>();
  keys.forEach((k, i) => {
    if (!first.has(k)) first.set(k, i);
  });
  return first;
}
