// RFC 9113 §8.2's checks of a request's header list (src/protocol/http2/
// request-headers.ts), whose lower-case check keeps the names it has
// passed (at most 256, none over 64 characters): with far more names than
// it keeps, and long ones, upper case is still found every time.
import { describe, expect, it } from 'vitest';
import { malformedRequest } from '../src/protocol/http2/request-headers.js';

const PSEUDO: Array<[string, string]> = [[':method', 'POST'], [':path', '/x'], [':scheme', 'http'], [':authority', 'a']];

describe('malformedRequest', () => {
  it('finds an upper-case name past the names it keeps, and in long names it does not keep', () => {
    for (let i = 0; i < 1_000; i++) {
      expect(malformedRequest([...PSEUDO, [`x-name-${i}`, 'v']])).toBeNull();
      if (i % 97 === 0) expect(malformedRequest([...PSEUDO, [`x-Name-${i}`, 'v']])).toBe(`header name x-Name-${i} is not lower case`);
    }
    const long = 'x'.repeat(100);
    expect(malformedRequest([...PSEUDO, [long, 'v']])).toBeNull();
    expect(malformedRequest([...PSEUDO, [long, 'v']])).toBeNull();
    expect(malformedRequest([...PSEUDO, [long + 'Y', 'v']])).toBe(`header name ${long}Y is not lower case`);
    // A name passed before, in a string of its own, and the same letters in upper case.
    expect(malformedRequest([...PSEUDO, ['x-name-999'.slice(0), 'v']])).toBeNull();
    expect(malformedRequest([...PSEUDO, ['X-NAME-999', 'v']])).toBe('header name X-NAME-999 is not lower case');
  });

  it('still refuses the rest: an empty name, a pseudo-header after a regular one, connection-specific headers', () => {
    expect(malformedRequest([...PSEUDO, ['', 'v']])).toBe('an empty header name');
    expect(malformedRequest([['x-a', 'v'], [':path', '/x']])).toBe('pseudo-header :path after a regular one');
    expect(malformedRequest([...PSEUDO, ['connection', 'close']])).toBe('connection-specific header connection');
    expect(malformedRequest([...PSEUDO, ['te', 'gzip']])).toBe('connection-specific header te');
    expect(malformedRequest([...PSEUDO, ['te', 'trailers']])).toBeNull();
  });
});
