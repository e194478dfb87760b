// An AckMessage's two halves in the addon. Receipt handles read: an ack's
// entries at once, or one text (receipt-handle.ts ackHandles, parseHandle):
// exactly what its HANDLE matches, with the same parts (tested against
// it), without a regular expression, a loop in JavaScript or an object per
// handle. An ack's handles mostly share their receive's token, so a token
// is reported once for the handles in a row that carry it, and checked
// once. And the answer of acks that all succeeded, the request's entries
// each echoed with OK (encode-answers.ts encodeAckEcho), written in one
// call where JavaScript made a copy call per entry.
#include <node_api.h>

#include <cstdint>
#include <cstring>

#include "napi_args.h"

namespace mqlab {
namespace {

constexpr size_t kRowStride = 4;
constexpr double kMaxSafe = 9007199254740991.0;

/** The end of a run of at most `max` decimal digits from `at`, before `to`. */
size_t DigitsAt(const uint8_t* b, size_t at, size_t to, size_t max) {
  size_t i = at;
  while (i < to && i - at < max && b[i] >= '0' && b[i] <= '9') i++;
  return i;
}

/** The number the digits b[from, to) spell (at most 19 of them: no overflow of 64 bits). */
uint64_t NumberIn(const uint8_t* b, size_t from, size_t to) {
  uint64_t n = 0;
  for (size_t i = from; i < to; i++) n = n * 10 + (b[i] - '0');
  return n;
}

struct Parsed {
  bool retry;
  double partition;
  double offset;
  size_t token;  // where the token starts (it runs to the handle's end)
};

/**
 * `1.<queue>.<offset>.<12 hex>.<1 to 13 of [0-9a-z]>` (or `2.`) in
 * b[from, to), as receipt-handle.ts HANDLE; a token equal to b[known,
 * knownEnd) (one read already) is not checked again.
 */
bool ParseHandle(const uint8_t* b, size_t from, size_t to, size_t known, size_t knownEnd, Parsed& p) {
  if (to - from < 19 || (b[from] != '1' && b[from] != '2') || b[from + 1] != '.') return false;
  const size_t pEnd = DigitsAt(b, from + 2, to, 9);
  if (pEnd == from + 2 || pEnd >= to || b[pEnd] != '.') return false;
  const size_t oEnd = DigitsAt(b, pEnd + 1, to, 19);
  if (oEnd == pEnd + 1 || oEnd >= to || b[oEnd] != '.') return false;
  const uint64_t offset = NumberIn(b, pEnd + 1, oEnd);
  if (offset > static_cast<uint64_t>(kMaxSafe)) return false;
  const size_t t = oEnd + 1;
  p.retry = b[from] == '2';
  p.partition = static_cast<double>(NumberIn(b, from + 2, pEnd));
  p.offset = static_cast<double>(offset);
  p.token = t;
  if (knownEnd > known && knownEnd - known == to - t && std::memcmp(b + known, b + t, to - t) == 0) return true;
  const size_t iEnd = t + 12;
  if (iEnd >= to || b[iEnd] != '.') return false;
  for (size_t i = t; i < iEnd; i++) {
    const uint8_t c = b[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  const size_t rest = to - iEnd - 1;
  if (rest < 1 || rest > 13) return false;
  for (size_t i = iEnd + 1; i < to; i++) {
    const uint8_t c = b[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

/**
 * rmqParseHandles(buf, spans, count, rows, tokens) → the distinct tokens.
 * spans: entry i's handle is buf[spans[2i], spans[2i + 1]). rows: per
 * handle its kind (-1 no handle of this broker, 0 its topic's, 1 the
 * retry topic's), queue, offset and token index; tokens: per token its
 * start and end in buf (a token is reported again where a handle of
 * another came between).
 */
napi_value ParseHandles(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!Args(env, info, argv)) return Fail(env, "rmqParseHandles(buf, spans, count, rows, tokens)");
  uint8_t* b;
  size_t length;
  double* spans;
  size_t spansLength;
  double* rows;
  size_t rowsLength;
  double* tokens;
  size_t tokensLength;
  if (!BufferArg(env, argv[0], b, length)) return Fail(env, "rmqParseHandles: buf must be a Buffer");
  if (!Float64Arg(env, argv[1], spans, spansLength) || !Float64Arg(env, argv[3], rows, rowsLength) || !Float64Arg(env, argv[4], tokens, tokensLength)) return Fail(env, "rmqParseHandles: spans, rows and tokens must be Float64Arrays");
  const double countArg = NumberArg(env, argv[2]);
  if (!(countArg >= 0 && countArg * 2 <= static_cast<double>(spansLength) && countArg * kRowStride <= static_cast<double>(rowsLength) && countArg * 2 <= static_cast<double>(tokensLength))) return Fail(env, "rmqParseHandles: count past spans, rows or tokens");
  const size_t count = static_cast<size_t>(countArg);
  size_t distinct = 0;
  // The last token reported, most often the handle's (an ack's handles share their receive's); else a new one.
  // Only the last is compared, so an ack of many tokens costs a comparison a handle, not one per token seen.
  // Kept here, not read back from `tokens`: the caller's arrays are not trusted to be apart.
  size_t known = 0, knownEnd = 0;
  for (size_t i = 0; i < count; i++) {
    double* row = rows + i * kRowStride;
    const double from = spans[2 * i], to = spans[2 * i + 1];
    row[0] = -1;
    Parsed p;
    if (!(from >= 0 && to >= from && to <= static_cast<double>(length)) || !ParseHandle(b, static_cast<size_t>(from), static_cast<size_t>(to), known, knownEnd, p)) continue;
    const size_t end = static_cast<size_t>(to);
    size_t k = distinct;
    if (distinct > 0 && knownEnd - known == end - p.token && std::memcmp(b + known, b + p.token, end - p.token) == 0) k = distinct - 1;
    if (k == distinct) {
      tokens[2 * k] = static_cast<double>(p.token);
      tokens[2 * k + 1] = static_cast<double>(end);
      known = p.token;
      knownEnd = end;
      distinct++;
    }
    row[0] = p.retry ? 1 : 0;
    row[1] = p.partition;
    row[2] = p.offset;
    row[3] = static_cast<double>(k);
  }
  return Number(env, static_cast<double>(distinct));
}

/**
 * rmqAckEcho(out, bytes, spans, count, ok) → the bytes written to out, or
 * -1 where they do not fit it or a span lies outside bytes: an
 * AckMessageResponse { status: ok, entries: [entry i's bytes
 * (bytes[spans[2i], spans[2i + 1])) and status ok] }, ok being an OK
 * status's encoded fields (under 128 bytes), each entry under 2^14 bytes.
 */
napi_value AckEcho(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!Args(env, info, argv)) return Fail(env, "rmqAckEcho(out, bytes, spans, count, ok)");
  uint8_t* out;
  size_t outLength;
  uint8_t* b;
  size_t length;
  double* spans;
  size_t spansLength;
  uint8_t* ok;
  size_t okLength;
  if (!BufferArg(env, argv[0], out, outLength) || !BufferArg(env, argv[1], b, length)) return Fail(env, "rmqAckEcho: out and bytes must be Buffers");
  if (!Float64Arg(env, argv[2], spans, spansLength)) return Fail(env, "rmqAckEcho: spans must be a Float64Array");
  if (!BufferArg(env, argv[4], ok, okLength) || okLength > 127) return Fail(env, "rmqAckEcho: ok must be a Uint8Array of under 128 bytes");
  const double countArg = NumberArg(env, argv[3]);
  if (!(countArg >= 0 && countArg * 2 <= static_cast<double>(spansLength))) return Fail(env, "rmqAckEcho: count past spans");
  const size_t count = static_cast<size_t>(countArg);
  size_t p = 0;
  const auto put = [&](const uint8_t* from, size_t n) {
    std::memcpy(out + p, from, n);
    p += n;
  };
  if (2 + okLength > outLength) return Number(env, -1);
  out[p++] = 0x0a;  // 1 status
  out[p++] = static_cast<uint8_t>(okLength);
  put(ok, okLength);
  for (size_t i = 0; i < count; i++) {
    const double from = spans[2 * i], to = spans[2 * i + 1];
    if (!(from >= 0 && to >= from && to <= static_cast<double>(length))) return Number(env, -1);
    const size_t entry = static_cast<size_t>(to - from);
    const size_t n = entry + 2 + okLength;
    if (n >= (1u << 14) || p + (n < 128 ? 2 : 3) + n > outLength) return Number(env, -1);
    out[p++] = 0x12;  // 2 entries
    if (n < 128) {
      out[p++] = static_cast<uint8_t>(n);
    } else {
      out[p++] = static_cast<uint8_t>((n & 127) | 128);
      out[p++] = static_cast<uint8_t>(n >> 7);
    }
    put(b + static_cast<size_t>(from), entry);
    out[p++] = 0x1a;  // 3 status
    out[p++] = static_cast<uint8_t>(okLength);
    put(ok, okLength);
  }
  return Number(env, static_cast<double>(p));
}

}  // namespace

void InitRmqAcks(napi_env env, napi_value exports) {
  Export(env, exports, "rmqParseHandles", ParseHandles);
  Export(env, exports, "rmqAckEcho", AckEcho);
}

}  // namespace mqlab
