// What a pop, ack or invisible-time change answers when it cannot: a RocketMQ
// status name and a sentence, which the protocol layer sends as they are.
/** RocketMQ status names the protocol layer answers with. */
export type PopErrorCode = 'TOPIC_NOT_FOUND' | 'BAD_REQUEST' | 'ILLEGAL_CONSUMER_GROUP' | 'INVALID_RECEIPT_HANDLE' | 'ILLEGAL_INVISIBLE_TIME' | 'MESSAGE_CORRUPTED' | 'UNSUPPORTED';

export class PopError extends Error {
  constructor(readonly code: PopErrorCode, message: string) {
    super(message);
  }
}
