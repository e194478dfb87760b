// Errors the broker answers clients with, by Kafka error name; the protocol
// layer turns the name into the wire code.
export class BrokerError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'BrokerError';
  }
}
