// The HPACK static table (RFC 7541 Appendix A). Index 0 is not an entry: the
// arrays are indexed the way the wire indexes them.
const TABLE: ReadonlyArray<readonly [string, string]> = [
  ['', ''],
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** The last static index; dynamic entries are numbered from STATIC_COUNT + 1. */
export const STATIC_COUNT = TABLE.length - 1;
export const STATIC_NAMES: readonly string[] = TABLE.map(([name]) => name);
export const STATIC_VALUES: readonly string[] = TABLE.map(([, value]) => value);

/** For the encoder: by name, its first static index and the indexes of whole fields with that name. */
export const STATIC_BY_NAME = new Map<string, { index: number; fields: Map<string, number> }>();
for (let i = STATIC_COUNT; i >= 1; i--) {
  const [name, value] = TABLE[i]!;
  const entry = STATIC_BY_NAME.get(name);
  if (entry === undefined) STATIC_BY_NAME.set(name, { index: i, fields: new Map([[value, i]]) });
  else {
    entry.index = i;
    entry.fields.set(value, i);
  }
}
