// Received messages written to ReceiveMessage streams and not yet sent, per
// connection and in all. HTTP/2 sends no more than the client's window, so a
// client that does not read leaves what it was given in the broker's memory
// until its call ends; the broker takes no more for it past a bound, as the
// Kafka listener stops starting requests for a connection whose responses
// wait (mqlab.connection.max.unsent.bytes).
export class UnsentBytes {
  private readonly perConnection = new Map<string, number>();
  private all = 0;

  constructor(readonly maxPerConnection: number, readonly maxTotal: number) {}

  /** Bytes a receive on this connection may still be given: 0 when either bound is reached. */
  room(connection: string): number {
    return Math.max(0, Math.min(this.maxPerConnection - (this.perConnection.get(connection) ?? 0), this.maxTotal - this.all));
  }

  /** Why room() is 0, for the answer. */
  reason(connection: string): string {
    const mine = this.perConnection.get(connection) ?? 0;
    return mine >= this.maxPerConnection
      ? `this connection has ${mine} bytes of received messages not yet read (rocketmq.connection.max.unsent.bytes ${this.maxPerConnection})`
      : `${this.all} bytes of received messages are not yet read by their clients (rocketmq.max.unsent.bytes ${this.maxTotal})`;
  }

  add(connection: string, bytes: number): void {
    this.perConnection.set(connection, (this.perConnection.get(connection) ?? 0) + bytes);
    this.all += bytes;
  }

  /** Bytes added before that have been sent, or whose call has ended. */
  release(connection: string, bytes: number): void {
    this.all -= bytes;
    const left = this.perConnection.get(connection)! - bytes;
    if (left === 0) this.perConnection.delete(connection);
    else this.perConnection.set(connection, left);
  }

  get total(): number {
    return this.all;
  }
}
