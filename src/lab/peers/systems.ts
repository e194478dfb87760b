// The systems the peers comparison runs: each with its persistence modes
// (what "on" and "off" mean for it), how to start it, its driver, and the
// row of the notes' table it answers to.
import type { DriverFactory } from './driver.js';
import type { ServerSpec } from './servers/server.js';

export interface PersistenceSpec {
  /** "on", "off", or a system's own level between ("everysec"). */
  id: string;
  /** What it means here: "durable queue, persistent messages, publisher confirms". */
  label: string;
}

export interface SystemSpec {
  /** Id used on the command line and in results: "rabbitmq", "mqlab-kafka", ... */
  id: string;
  /** Shown in reports: "RabbitMQ", "mqlab as Kafka". */
  label: string;
  /** The notes' table row this system is compared with, if any. */
  notesRow: NotesRow | null;
  /** The client library and version the driver uses. */
  client: string;
  modes: PersistenceSpec[];
  server: ServerSpec;
  driver: DriverFactory;
}

export type NotesRow = 'ActiveMQ' | 'RabbitMQ' | 'RocketMQ' | 'Kafka';

/** The comparison's opening table: single-node throughput, msg/s, as the notes give it. */
export const NOTES_TABLE: Record<NotesRow, number> = { ActiveMQ: 6_000, RabbitMQ: 12_000, RocketMQ: 100_000, Kafka: 1_000_000 };
