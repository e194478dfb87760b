// Errors the broker answers clients with, by Kafka error name; the protocol
// layer turns the name into the wire code. The name is one of Kafka's (a
// closed union), so a misspelt one fails the build, not a client.
import type { ErrorName } from '../protocol/kafka/error-codes.js';

export class BrokerError extends Error {
  constructor(readonly code: ErrorName, message: string) {
    super(message);
    this.name = 'BrokerError';
  }
}
