// Error messages often quote what the client sent (a topic name, a config
// value). A request may carry strings of up to 32,767 bytes, and a message
// quoting one no longer fits in the response's string: the response could
// not be encoded, and the client would see its connection closed instead
// of its error code. Messages are cut to a length that always fits.
import { BrokerError } from '../../broker/errors.js';
import { errorCode } from '../../protocol/kafka/index.js';

/** At most this many UTF-16 code units, so at most 3 bytes each in UTF-8: far below 32,767. */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

export function errorMessage(message: string | null | undefined): string | null {
  if (message === null || message === undefined) return null;
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return message;
  // Never end on the first half of a surrogate pair: it would encode as U+FFFD.
  let cut = MAX_ERROR_MESSAGE_CHARS - 1;
  const last = message.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${message.slice(0, cut)}…`;
}

/** The error code and message of a refusal; anything else is a bug and is rethrown. */
export function refusal(err: unknown): { errorCode: number; errorMessage: string | null } {
  if (err instanceof BrokerError) return { errorCode: errorCode(err.code), errorMessage: errorMessage(err.message) };
  throw err;
}
