// The other client during an abuse run: one connection, one request at a
// time on demand, its latency kept. It must be answered throughout, and
// promptly: a broker busy failing bad connections still serves good ones.
import { KafkaConnection } from '../../src/client/connection.js';
import { ApiKeys } from '../../src/protocol/kafka/index.js';

export class Probe {
  rounds = 0;
  maxLatencyMs = 0;
  failure: string | null = null;
  /** The round under way, if any: close() waits for it, so the probe's own close is not read as the broker's. */
  private inflight: Promise<void> | null = null;

  private constructor(private readonly conn: KafkaConnection) {}

  static async open(host: string, port: number): Promise<Probe> {
    return new Probe(await KafkaConnection.open(host, port, 'probe'));
  }

  /** One Metadata round trip, unless one is still under way. */
  poke(): void {
    if (this.inflight || this.failure) return;
    const started = performance.now();
    this.inflight = this.conn.request(ApiKeys.Metadata, 4, { topics: [{ name: 'witness-orders' }], allowAutoTopicCreation: false }).then(
      (r) => {
        this.inflight = null;
        this.rounds++;
        this.maxLatencyMs = Math.max(this.maxLatencyMs, performance.now() - started);
        if (r.topics[0]?.partitions.length !== 3) this.failure = `metadata says witness-orders has ${r.topics[0]?.partitions.length} partitions`;
      },
      (err: Error) => {
        this.inflight = null;
        this.failure = err.message;
      },
    );
  }

  /** Closes the connection once the round under way (if any) is answered: that answer counts too. */
  async close(): Promise<void> {
    await this.inflight;
    this.conn.close();
  }
}
