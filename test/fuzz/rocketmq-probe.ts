// The well-behaved RocketMQ client during the gRPC fuzzing, on a channel of
// its own: each round sends a message, receives until it has it back, and
// acks what it received. Round trips must keep succeeding, and promptly.
import type * as grpc from '@grpc/grpc-js';
import { receive, unary } from './grpc-calls.js';

export const PROBE_TOPIC = 'probe-rmq';
const PROBE_GROUP = 'probe-rmq-group';

export class RmqProbe {
  rounds = 0;
  maxLatencyMs = 0;
  failure: string | null = null;
  private busy: Promise<void> | null = null;

  constructor(private readonly client: grpc.Client) {}

  /** One round, unless one is still under way. */
  poke(): void {
    if (this.busy || this.failure) return;
    this.busy = this.round().then(
      () => undefined,
      (err: Error) => {
        this.failure = `round ${this.rounds}: ${err.message}`;
      },
    ).finally(() => (this.busy = null));
  }

  /** Waits for the round under way, if any. */
  async settle(): Promise<void> {
    await this.busy;
  }

  private async round(): Promise<void> {
    const started = performance.now();
    const body = Buffer.from(`probe-${this.rounds}`);
    const sent = await unary(this.client, 'SendMessage', {
      messages: [{ topic: { name: PROBE_TOPIC }, body, systemProperties: { messageId: `PROBE${this.rounds}`, messageType: 'NORMAL', bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)) }, queueId: 0 } }],
    }, 'probe');
    if (sent.status.code !== 'OK') throw new Error(`send: ${sent.status.code} ${sent.status.message}`);
    for (let tries = 0; ; tries++) {
      if (tries === 5) throw new Error(`message ${body} not received in 5 receives`);
      const answers = await receive(this.client, {
        group: { name: PROBE_GROUP },
        messageQueue: { topic: { name: PROBE_TOPIC }, id: 0 },
        filterExpression: { type: 'TAG', expression: '*' },
        batchSize: 32,
        invisibleDuration: { seconds: '60' },
        longPollingTimeout: { seconds: '2' },
      }, 'probe');
      if (answers[0]?.status?.code !== 'OK') throw new Error(`receive: ${answers[0]?.status?.code} ${answers[0]?.status?.message}`);
      const messages = answers.slice(1).map((a) => a.message);
      const acked = await unary(this.client, 'AckMessage', {
        group: { name: PROBE_GROUP },
        topic: { name: PROBE_TOPIC },
        entries: messages.map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle })),
      }, 'probe');
      if (acked.status.code !== 'OK') throw new Error(`ack: ${acked.status.code} ${acked.status.message}`);
      if (messages.some((m) => Buffer.from(m.body).equals(body))) break;
    }
    this.rounds++;
    this.maxLatencyMs = Math.max(this.maxLatencyMs, performance.now() - started);
  }
}
