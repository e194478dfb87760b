// A queue's stored batches scanned in C++ for the RocketMQ receive path
// (queue-records.ts): each record's offset, timestamp and where its bytes
// and value lie, without a JavaScript object per record. Batches it cannot
// take (compressed, transactional, control, damaged) are left to
// decodeBatch and the committed filter; the tests compare the two.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "crc32c.h"
#include "batch_layout.h"
#include "napi_args.h"
#include "record_reader.h"
#include "rmq_records.h"

namespace mqlab {
namespace {

constexpr size_t kScanStride = 8;

/**
 * How far ahead of the CRC check the scan asks for the read's bytes. The
 * check is the first to touch a log's bytes, and the hardware prefetcher
 * stops at each 4 KiB page: asked for a page ahead, a cold 1 KiB record is
 * checked in about two thirds of the time (bench/storage/scan-prefetch).
 */
constexpr size_t kPrefetchAhead = 4096;
constexpr double kPrefetchAheadMax = 1 << 20;
constexpr size_t kCacheLine = 64;

/**
 * The `count` records of buf[start, end), checked as decodeRecords and
 * checkOffsetDeltas check them, one row of `table` each: record start and
 * end, what `place` makes of the record's offset and timestamp, value start
 * and length (-1: null), headers' start and count (the delivery encoder
 * reads them from there without reading the record again). False for anything the JavaScript decoder is to
 * judge (or `place` refuses); the table room is the caller's.
 */
template <typename Place>
bool ScanBatchRecords(const uint8_t* buf, size_t start, size_t end, size_t count, double lastOffsetDelta, double* table, Place place) {
  if (static_cast<double>(count) * (kRecordBodyMinBytes + 1) > static_cast<double>(end - start)) return false;
  Cur c{buf, start, end};
  int64_t previous = -1;
  for (size_t i = 0; i < count; i++) {
    Record r;
    if (!ReadRecord(c, r) || r.offsetDelta <= previous || r.offsetDelta > lastOffsetDelta) return false;
    previous = r.offsetDelta;
    double* row = table + i * kScanStride;
    if (!place(r, row[2], row[3])) return false;
    row[0] = static_cast<double>(r.start);
    row[1] = static_cast<double>(r.end);
    row[4] = static_cast<double>(r.value.at);
    row[5] = r.value.length;
    row[6] = static_cast<double>(r.headersAt);
    row[7] = r.headerCount;
  }
  return c.pos == c.end;
}

/**
 * rmqScanRecords(buf, start, end, count, lastOffsetDelta, table): the
 * `count` records of buf[start, end), as decodeRecords and
 * checkOffsetDeltas would accept them. Row i of `table` (Float64Array, 8
 * per record): record start, record end, offsetDelta, timestampDelta,
 * value start, value length (-1: null), headers' start and count. Returns count, or -1 where the
 * JavaScript decoder is to say what is wrong.
 */
napi_value ScanRecords(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!Args(env, info, argv)) return Fail(env, "rmqScanRecords(buf, start, end, count, lastOffsetDelta, table)");
  uint8_t* buf;
  size_t bufLength;
  double* table;
  size_t tableLength;
  if (!BufferArg(env, argv[0], buf, bufLength)) return Fail(env, "rmqScanRecords: buf must be a Buffer");
  if (!Float64Arg(env, argv[5], table, tableLength)) return Fail(env, "rmqScanRecords: table must be a Float64Array");
  const double start = NumberArg(env, argv[1]);
  const double end = NumberArg(env, argv[2]);
  const double count = NumberArg(env, argv[3]);
  const double lastOffsetDelta = NumberArg(env, argv[4]);
  if (!(start >= 0 && end >= start && end <= static_cast<double>(bufLength) && count >= 0 && count * kScanStride <= static_cast<double>(tableLength))) {
    return Fail(env, "rmqScanRecords: range or table size out of bounds");
  }
  const size_t n = static_cast<size_t>(count);
  const bool ok = ScanBatchRecords(buf, static_cast<size_t>(start), static_cast<size_t>(end), n, lastOffsetDelta, table, [](const Record& r, double& offset, double& timestamp) {
    offset = r.offsetDelta;
    timestamp = static_cast<double>(r.timestampDelta);
    return true;
  });
  return Number(env, ok ? static_cast<double>(n) : -1);
}

int64_t I64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

int32_t I32(const uint8_t* p) {
  return static_cast<int32_t>((static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3]);
}


/**
 * rmqScanBatches(buf, at, minOffset, table, info): the records of the
 * batches from byte `at` on, as readQueueRecords reads them, for as long
 * as each is plain: magic 2, uncompressed, neither transactional nor a
 * control batch, its CRC right, its records well formed, its offsets and
 * timestamps within 2^53. Batches ending below `minOffset` are passed over
 * unread. Rows of `table` as rmqScanRecords's, but the offset and the
 * timestamp in place of offsetDelta and timestampDelta. `info` gets the
 * byte where it stopped (the end, an incomplete batch, or a batch for the
 * JavaScript path), the rows written, and the offset after and bytes per
 * record of the last batch gone over (-1 and 0: none). `prefetchAhead`
 * (bytes, default kPrefetchAhead; 0: none) is there for the benchmark that
 * measures it. Returns the rows.
 */
napi_value ScanBatches(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  size_t argc = 6;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 5) return Fail(env, "rmqScanBatches(buf, at, minOffset, table, info, prefetchAhead?)");
  uint8_t* buf;
  size_t length;
  double* table;
  size_t tableLength;
  double* out;
  size_t outLength;
  if (!BufferArg(env, argv[0], buf, length)) return Fail(env, "rmqScanBatches: buf must be a Buffer");
  if (!Float64Arg(env, argv[3], table, tableLength) || !Float64Arg(env, argv[4], out, outLength) || outLength < 4) return Fail(env, "rmqScanBatches: table and info must be Float64Arrays (info of 4)");
  const double start = NumberArg(env, argv[1]);
  const double minOffset = NumberArg(env, argv[2]);
  if (!(start >= 0 && start <= static_cast<double>(length)) || !(minOffset >= 0 && minOffset <= kMaxSafe)) return Fail(env, "rmqScanBatches: at or minOffset out of range");
  napi_valuetype aheadType = napi_undefined;
  if (argc > 5) napi_typeof(env, argv[5], &aheadType);
  const double aheadArg = aheadType == napi_undefined ? kPrefetchAhead : NumberArg(env, argv[5]);
  if (!(aheadArg >= 0 && aheadArg <= kPrefetchAheadMax)) return Fail(env, "rmqScanBatches: prefetchAhead must be 0 to 1 MiB");
  const size_t ahead = static_cast<size_t>(aheadArg);
  size_t at = static_cast<size_t>(start);
  size_t rows = 0;
  const size_t maxRows = tableLength / kScanStride;
  double end = -1;
  double bytesPerRecord = 0;
  size_t prefetched = at;
  while (at + kBatchHeaderBytes <= length) {
    const uint8_t* h = buf + at;
    const int64_t baseOffset = I64(h);
    const int32_t batchLength = I32(h + kBatchLengthAt);
    if (batchLength < 0) break;
    const size_t size = static_cast<size_t>(batchLength) + kLogOverheadBytes;
    if (at + size > length) break;
    const int16_t attributes = static_cast<int16_t>((h[kAttributesAt] << 8) | h[kAttributesAt + 1]);
    if ((attributes & 0x30) != 0) break;  // transactional or control: the committed filter's
    const int32_t lastOffsetDelta = I32(h + kLastOffsetDeltaAt);
    if (baseOffset < 0 || baseOffset > kMaxSafeInt || lastOffsetDelta < 0 || baseOffset + lastOffsetDelta >= kMaxSafeInt) break;
    const int64_t last = baseOffset + lastOffsetDelta;
    if (static_cast<double>(last) >= minOffset) {
      const int32_t count = I32(h + kRecordCountAt);
      if (h[kMagicAt] != 2 || size < kBatchHeaderBytes || (attributes & 0x07) != 0 || count < 0) break;
      if (rows + static_cast<size_t>(count) > maxRows) break;
      prefetched = std::max(prefetched, at);
      // At most `ahead` of a large batch itself: its check walks it in order, and thousands of requests at once would overrun the CPU's.
      for (const size_t until = std::min(at + std::min(size, ahead) + ahead, length); ahead != 0 && prefetched < until; prefetched += kCacheLine) __builtin_prefetch(buf + prefetched);
      const uint32_t crc = (static_cast<uint32_t>(h[kCrcAt]) << 24) | (static_cast<uint32_t>(h[kCrcAt + 1]) << 16) | (static_cast<uint32_t>(h[kCrcAt + 2]) << 8) | h[kCrcAt + 3];
      if (Crc32c(0, h + kAttributesAt, size - kAttributesAt) != crc) break;
      const bool appendTime = (attributes & 0x08) != 0;
      const int64_t baseTimestamp = I64(h + kBaseTimestampAt);
      const int64_t maxTimestamp = I64(h + kMaxTimestampAt);
      const bool ok = ScanBatchRecords(buf, at + kBatchHeaderBytes, at + size, static_cast<size_t>(count), lastOffsetDelta, table + rows * kScanStride,
                                       [&](const Record& r, double& offset, double& timestamp) {
                                         // Checked before the sum: a producer's base timestamp may be any int64.
                                         if (baseTimestamp > kMaxSafeInt || baseTimestamp < -kMaxSafeInt) return false;
                                         const int64_t t = appendTime ? maxTimestamp : baseTimestamp + r.timestampDelta;
                                         if (t > kMaxSafeInt || t < -kMaxSafeInt) return false;
                                         offset = static_cast<double>(baseOffset + r.offsetDelta);
                                         timestamp = static_cast<double>(t);
                                         return true;
                                       });
      if (!ok) break;
      rows += static_cast<size_t>(count);
    }
    end = static_cast<double>(last + 1);
    const double perRecord = std::round(static_cast<double>(size) / (lastOffsetDelta + 1.0));
    bytesPerRecord = perRecord < 1 ? 1 : perRecord;
    at += size;
  }
  out[0] = static_cast<double>(at);
  out[1] = static_cast<double>(rows);
  out[2] = end;
  out[3] = bytesPerRecord;
  return Number(env, static_cast<double>(rows));
}
}  // namespace

void InitRmqScan(napi_env env, napi_value exports) {
  Export(env, exports, "rmqScanRecords", ScanRecords);
  Export(env, exports, "rmqScanBatches", ScanBatches);
}

}  // namespace mqlab
