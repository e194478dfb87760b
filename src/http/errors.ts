// Errors answered as `{"error": NAME, "message": ...}` with an HTTP status.
// NAME is the Kafka error name when the broker refused (so an HTTP client
// sees the same words a Kafka client would), else a name for the HTTP-level
// problem (INVALID_JSON, PAYLOAD_TOO_LARGE, ...).
import { BrokerError } from '../broker/errors.js';
import { StorageError } from '../storage/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
    /** Answer with Connection: close (a body left unread cannot be skipped cheaply). */
    readonly close = false,
  ) {
    // An answer to the client, not a bug: its stack is never read, and
    // capturing one costs more than the rest of a 4xx reply (measured: a
    // few µs each, 4% of the CPU of a run of refused requests).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'HttpError';
  }
}

/** The HTTP status for a Kafka error name. */
const STATUS_BY_KAFKA_ERROR: Readonly<Record<string, number>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 404,
  OFFSET_OUT_OF_RANGE: 416,
  MESSAGE_TOO_LARGE: 413,
  RECORD_LIST_TOO_LARGE: 413,
  TOPIC_ALREADY_EXISTS: 409,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 409,
  DUPLICATE_SEQUENCE_NUMBER: 409,
  INVALID_PRODUCER_EPOCH: 409,
  POLICY_VIOLATION: 403,
  KAFKA_STORAGE_ERROR: 503,
  // The request's fault: its batch, name, partition count or config.
  CORRUPT_MESSAGE: 400,
  INVALID_RECORD: 400,
  UNSUPPORTED_COMPRESSION_TYPE: 400,
  INVALID_TOPIC_EXCEPTION: 400,
  INVALID_PARTITIONS: 400,
  INVALID_CONFIG: 400,
  INVALID_REQUEST: 400,
};

export function kafkaError(code: string, message?: string, extra?: Record<string, unknown>): HttpError {
  return new HttpError(STATUS_BY_KAFKA_ERROR[code] ?? 500, code, message ?? code.toLowerCase().replace(/_/g, ' '), extra);
}

/** A BrokerError or StorageError as the HTTP error it means; anything else unchanged. */
export function fromBrokerError(err: unknown): unknown {
  if (err instanceof BrokerError || err instanceof StorageError) return kafkaError(err.code, err.message);
  return err;
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'INVALID_REQUEST', message);
