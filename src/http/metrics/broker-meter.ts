// Produce and fetch traffic as the Broker sees it, whatever protocol asked:
// the Kafka listener's handlers and this HTTP API both call
// broker.produce() and broker.fetch(), so counting there covers both.
//
// meterBroker() registers a BrokerMeter as the broker's observer, once per
// broker: a performance.now() pair and a few additions per call.
import type { Broker, BrokerObserver, FetchResult, ProduceResult } from '../../broker/broker.js';
import { Histogram } from './histogram.js';

export class BrokerMeter implements BrokerObserver {
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

  produced(r: ProduceResult, bytes: number, ms: number): void {
    this.produceCalls++;
    this.produceLatency.observe(ms / 1000);
    if (r.error === 'NONE') this.produceBytes += bytes;
    else this.countProduceError(r.error);
  }

  fetched(results: readonly FetchResult[], ms: number): void {
    this.fetchCalls++;
    this.fetchLatency.observe(ms / 1000);
    for (const r of results) {
      if (r.error === 'NONE') this.fetchBytes += r.bytes;
      else this.countFetchError(r.error);
    }
  }

  failed(what: 'produce' | 'fetch'): void {
    if (what === 'produce') {
      this.produceCalls++;
      this.countProduceError('UNKNOWN_SERVER_ERROR');
    } else {
      this.fetchCalls++;
      this.countFetchError('UNKNOWN_SERVER_ERROR');
    }
  }

  countProduceError(error: string): void {
    this.produceErrors.set(error, (this.produceErrors.get(error) ?? 0) + 1);
  }

  countFetchError(error: string): void {
    this.fetchErrors.set(error, (this.fetchErrors.get(error) ?? 0) + 1);
  }
}

const meters = new WeakMap<Broker, BrokerMeter>();

/** The broker's meter, registered as its observer on first use. */
export function meterBroker(broker: Broker): BrokerMeter {
  const existing = meters.get(broker);
  if (existing) return existing;
  const m = new BrokerMeter();
  meters.set(broker, m);
  broker.observe(m);
  return m;
}
