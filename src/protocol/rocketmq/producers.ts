// The Telemetry streams of connected producers, by client id and by the
// topics their settings name: where a transaction check-back
// (RecoverOrphanedTransactionCommand) is sent. RocketMQ's proxy uses the
// topic as the producer group of gRPC producers; the producer that sent
// the half message is asked first, any producer of its topic otherwise.
import type { ServerCall } from '../grpc/call.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Stream = ServerCall;

interface ProducerStream {
  clientId: string;
  topics: Set<string>;
}

export class ProducerStreams {
  private readonly streams = new Map<Stream, ProducerStream>();

  register(call: Stream, clientId: string, topics: Iterable<string>): void {
    this.streams.set(call, { clientId, topics: new Set(topics) });
  }

  remove(call: Stream): void {
    this.streams.delete(call);
  }

  /** A live stream for a check-back on `topic`: the client's own, else any producer's of the topic. */
  pick(topic: string, clientId: string): Stream | null {
    let ofTopic: Stream | null = null;
    let ofClient: Stream | null = null;
    for (const [call, p] of this.streams) {
      if (call.cancelled || call.destroyed) continue;
      if (p.clientId === clientId && clientId !== '') {
        if (p.topics.has(topic)) return call;
        ofClient ??= call;
      } else if (p.topics.has(topic)) ofTopic ??= call;
    }
    return ofClient ?? ofTopic;
  }
}
