// Errors from reading record batches, each with the Kafka error code the
// broker answers a client with. The `code` strings are stable: callers and
// tests match on them, never on messages.

export type RecordBatchErrorCode =
  // Bytes that cannot be a batch: bad CRC, impossible length, truncated.
  // Kafka's CorruptRecordException; retriable for the client, because a
  // corrupted request can come out right when sent again.
  | 'CORRUPT_MESSAGE'
  // A magic byte other than 2 (the v0/v1 message sets). Kafka's Produce v3+
  // rejects these with InvalidRecordException ("only allowed to contain
  // record batches with magic version 2"), which KIP-467 mapped to
  // INVALID_RECORD (87); older brokers said CORRUPT_MESSAGE. Not
  // UNSUPPORTED_FOR_MESSAGE_FORMAT (43): that one is about the topic's
  // configured format. 87 is not retriable, which matters here: the same
  // bytes will never become valid.
  | 'UNSUPPORTED_MAGIC'
  // Bigger than the caller's limit (Kafka's max.message.bytes, which counts
  // the whole batch including baseOffset and batchLength).
  | 'BATCH_TOO_LARGE'
  // Intact bytes (the CRC matched) whose content breaks the format's rules:
  // counts, offset deltas, varints, record lengths.
  | 'INVALID_RECORD'
  // A codec id no Kafka knows (5-7) where records must be read. A known
  // codec's block that does not decompress is CORRUPT_MESSAGE; one that
  // would expand beyond the reader's limit is BATCH_TOO_LARGE.
  | 'UNSUPPORTED_COMPRESSION';

const KAFKA_ERROR_CODES: { readonly [C in RecordBatchErrorCode]: number } = {
  CORRUPT_MESSAGE: 2,
  BATCH_TOO_LARGE: 10, // MESSAGE_TOO_LARGE
  UNSUPPORTED_COMPRESSION: 76, // UNSUPPORTED_COMPRESSION_TYPE
  UNSUPPORTED_MAGIC: 87, // INVALID_RECORD, see above
  INVALID_RECORD: 87,
};

export class RecordBatchError extends Error {
  readonly kafkaErrorCode: number;

  /**
   * @param position where the offending batch starts in the buffer that was
   *   being read, or -1 when not known (a lone varint, a lone record).
   */
  constructor(
    readonly code: RecordBatchErrorCode,
    message: string,
    readonly position = -1,
  ) {
    super(message);
    this.name = 'RecordBatchError';
    this.kafkaErrorCode = KAFKA_ERROR_CODES[code];
  }
}
