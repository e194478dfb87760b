// Produce and fetch traffic as the Broker sees it, whatever protocol asked:
// the Kafka listener's handlers and this HTTP API both call
// broker.produce() and broker.fetch(), so counting there covers both.
//
// The Broker has no observer hook (and src/broker is not this module's to
// change), so meterBroker() wraps those two methods on the instance: callers
// look them up on the object at each call, so the wrap sees every call made
// after it, including the Kafka handlers'. It is done once per broker and
// costs one performance.now() pair and a few additions per call. A hook in
// Broker itself would be the cleaner home for this; see README "Counters".
import type { Acks, Broker, FetchPartition, FetchResult, ProduceResult } from '../../broker/broker.js';
import { Histogram } from './histogram.js';

export class BrokerMeter {
  /** broker.produce() calls: one per partition of a Kafka Produce request, one per HTTP produce. */
  produceCalls = 0;
  /** Record-batch bytes of the calls that succeeded. */
  produceBytes = 0;
  /** Failed calls by Kafka error name. */
  readonly produceErrors = new Map<string, number>();
  /** From the call to its answer: with acks=-1 this includes the flush policy's fsync. */
  readonly produceLatency = new Histogram();

  /** broker.fetch() calls: one per Kafka Fetch request (all its partitions), one per HTTP fetch. */
  fetchCalls = 0;
  /** Log bytes answered, which the transfer strategy then sends. */
  fetchBytes = 0;
  /** Partitions answered with an error, by Kafka error name. */
  readonly fetchErrors = new Map<string, number>();
  /** From the call to its answer, long-poll waiting included. */
  readonly fetchLatency = new Histogram();

  countProduceError(error: string): void {
    this.produceErrors.set(error, (this.produceErrors.get(error) ?? 0) + 1);
  }

  countFetchError(error: string): void {
    this.fetchErrors.set(error, (this.fetchErrors.get(error) ?? 0) + 1);
  }
}

const meters = new WeakMap<Broker, BrokerMeter>();

/** The broker's meter, wrapping its produce and fetch on first use. */
export function meterBroker(broker: Broker): BrokerMeter {
  const existing = meters.get(broker);
  if (existing) return existing;
  const m = new BrokerMeter();
  meters.set(broker, m);

  const produce = broker.produce.bind(broker);
  broker.produce = (topic: string, partition: number, records: Buffer | null, acks?: Acks): Promise<ProduceResult> => {
    const started = performance.now();
    m.produceCalls++;
    return produce(topic, partition, records, acks).then(
      (r) => {
        m.produceLatency.observe((performance.now() - started) / 1000);
        if (r.error === 'NONE') m.produceBytes += records?.length ?? 0;
        else m.countProduceError(r.error);
        return r;
      },
      (err: unknown) => {
        m.countProduceError('UNKNOWN_SERVER_ERROR');
        throw err;
      },
    );
  };

  const fetch = broker.fetch.bind(broker);
  broker.fetch = (partitions: readonly FetchPartition[], maxWaitMs: number, minBytes: number, maxBytes: number): Promise<FetchResult[]> => {
    const started = performance.now();
    m.fetchCalls++;
    return fetch(partitions, maxWaitMs, minBytes, maxBytes).then(
      (results) => {
        m.fetchLatency.observe((performance.now() - started) / 1000);
        for (const r of results) {
          if (r.error === 'NONE') m.fetchBytes += r.bytes;
          else m.countFetchError(r.error);
        }
        return results;
      },
      (err: unknown) => {
        m.countFetchError('UNKNOWN_SERVER_ERROR');
        throw err;
      },
    );
  };
  return m;
}
