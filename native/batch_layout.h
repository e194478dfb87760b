// Where the fields of a Kafka record batch (magic 2) lie in its 61-byte
// header, as records/batch-header.ts has them.
#pragma once

#include <cstddef>

namespace mqlab {

constexpr size_t kBaseOffsetAt = 0;
constexpr size_t kBatchLengthAt = 8;
constexpr size_t kLeaderEpochAt = 12;
constexpr size_t kMagicAt = 16;
constexpr size_t kCrcAt = 17;
/** The CRC-32C covers the batch from here to its end. */
constexpr size_t kAttributesAt = 21;
constexpr size_t kLastOffsetDeltaAt = 23;
constexpr size_t kBaseTimestampAt = 27;
constexpr size_t kMaxTimestampAt = 35;
constexpr size_t kProducerIdAt = 43;
constexpr size_t kProducerEpochAt = 51;
constexpr size_t kBaseSequenceAt = 53;
constexpr size_t kRecordCountAt = 57;
constexpr size_t kBatchHeaderBytes = 61;
/** Base offset and batch length: what batchLength does not count. */
constexpr size_t kLogOverheadBytes = 12;

}  // namespace mqlab
