// RFC 9113 §8.2-8.3: what makes a request's header list malformed (a stream
// error: RST_STREAM PROTOCOL_ERROR). The HPACK decoder takes any octets; the
// rules of HTTP/2's fields are checked here.

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** Why the request is malformed, or null. */
export function malformedRequest(headers: ReadonlyArray<[string, string]>): string | null {
  let regular = false;
  for (const [name, value] of headers) {
    if (name.length === 0) return 'an empty header name';
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `pseudo-header ${name} after a regular one`;
    } else {
      regular = true;
      if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value !== 'trailers')) return `connection-specific header ${name}`;
    }
    if (!lowerCase(name)) return `header name ${name} is not lower case`;
  }
  return null;
}

/**
 * Whether a header name has no upper-case letter. The few names a peer
 * sends are looked up, not walked a character at a time on every call
 * (a call's header check cost about 250 ns).
 */
function lowerCase(name: string): boolean {
  if (lowerNames.has(name)) return true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return false;
  }
  if (name.length > NAME_KEPT_CHARS) return true;
  if (lowerNames.size >= NAMES_KEPT) lowerNames.clear();
  lowerNames.add(name);
  return true;
}

/** At most this many names are kept, none longer than NAME_KEPT_CHARS: a peer's odd names hold no more than 16 KiB. */
const NAMES_KEPT = 256;
const NAME_KEPT_CHARS = 64;
const lowerNames = new Set<string>();
