/** Errors the storage layer reports, with the Kafka error code each maps to. */
export type StorageErrorCode =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'POLICY_VIOLATION'
  | 'INVALID_RECORD'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'KAFKA_STORAGE_ERROR';

const KAFKA_CODES: Record<StorageErrorCode, number> = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  POLICY_VIOLATION: 44,
  INVALID_RECORD: 87,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  KAFKA_STORAGE_ERROR: 56,
};

export class StorageError extends Error {
  readonly kafkaErrorCode: number;

  constructor(readonly code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.kafkaErrorCode = KAFKA_CODES[code];
  }
}
