// One interface for every system the lab compares, modelled on
// OpenMessaging Benchmark's BenchmarkDriver: create a topic with
// partitions, producers that send (key, payload) asynchronously, consumers
// that hand each payload to a callback, close. A driver speaks to one
// server (started by the lab, or an external target) through the system's
// own maintained client; what a system has no notion of (partitions, keys,
// subscriptions) the driver maps to what it has and says so in `notes`.

/** Where a driver connects: the endpoint(s) of a started server or an external target. */
export interface DriverEndpoint {
  host: string;
  port: number;
  /** More bootstrap addresses (an external Kafka cluster). */
  more?: { host: string; port: number }[];
  /**
   * The same broker's Kafka listener, where the system's own API cannot
   * create topics (mqlab serving RocketMQ 5's gRPC API, which has no topic
   * creation): the driver creates and deletes its topics there.
   */
  kafkaAdmin?: { host: string; port: number };
}

/** Persistence a run asks for; each system maps it to its own setting (see SystemSpec.modes). */
export type PersistenceMode = string;

export interface DriverOptions {
  endpoint: DriverEndpoint;
  /** The persistence mode in force: the driver sets what is per queue or per message (durable, persistent, storage). */
  mode: PersistenceMode;
  /** Bytes of each message (for drivers that size buffers or prefetch by it). */
  messageSize: number;
}

export interface PeerProducer {
  /**
   * Sends one message; resolves when the system has accepted it as the mode
   * promises (publisher confirm, ack, stream id). Many calls are in flight
   * at once; the caller bounds how many.
   */
  sendAsync(key: string | null, payload: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Called for every message a consumer receives: its payload as sent, and
 * the publish time the system recorded (ms since the epoch), or NaN where it
 * records none. The lab measures latency from a time stamped in the payload
 * (same process, monotonic clock), so the system's time is informative only.
 */
export type ConsumerCallback = (payload: Buffer, publishTimestampMs: number) => void;

export interface PeerConsumer {
  close(): Promise<void>;
}

export interface PeerDriver {
  /** Short name shown in reports: "rabbitmq", "kafkajs", ... */
  readonly name: string;
  /** What the driver did where the system differs from the workload's model (partitions, keys, subscriptions, acks). */
  readonly notes: string[];
  /**
   * Creates a topic (or the system's nearest thing) with this many
   * partitions. Idempotent for a name it created before; topics it creates
   * are the only ones deleteTopics may remove.
   */
  createTopic(topic: string, partitions: number): Promise<void>;
  createProducer(topic: string): Promise<PeerProducer>;
  /**
   * A consumer in `subscription`: consumers of one subscription share the
   * topic's messages, each subscription receives all of them. It is
   * subscribed (will not miss what is sent after this resolves) when the
   * promise resolves.
   */
  createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer>;
  /** Removes the topics this driver created (an external target keeps everything else). */
  deleteTopics(): Promise<void>;
  /** Closes every connection the driver opened. */
  close(): Promise<void>;
}

/** Makes a driver for one run. */
export type DriverFactory = (o: DriverOptions) => Promise<PeerDriver>;
