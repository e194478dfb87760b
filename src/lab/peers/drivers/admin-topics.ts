// Topics a driver creates through a broker's Kafka listener, where the
// system's own API has no topic creation (mqlab serving RocketMQ 5's gRPC
// API): the ones it created are the only ones it deletes, and a name that
// exists already and is not its own is refused rather than used.
import { Admin, AdminError } from '../../../client/admin.js';
import type { DriverEndpoint } from '../driver.js';
import { formatAddress } from '../targets.js';

export class AdminTopics {
  private readonly created: string[] = [];

  private constructor(readonly admin: Admin) {}

  /** Connected to the endpoint's Kafka listener, or null when it has none (an external cluster). */
  static async connect(e: DriverEndpoint): Promise<AdminTopics | null> {
    return e.kafkaAdmin ? new AdminTopics(await Admin.connect(formatAddress(e.kafkaAdmin))) : null;
  }

  async create(topic: string, partitions: number): Promise<void> {
    try {
      await this.admin.createTopic(topic, partitions);
      this.created.push(topic);
    } catch (err) {
      if (!(err instanceof AdminError && err.message.includes('TOPIC_ALREADY_EXISTS'))) throw err;
      if (!this.created.includes(topic)) throw new Error(`topic ${topic} exists already and was not created by this run: refusing to use (or later delete) it`);
    }
  }

  async deleteCreated(): Promise<void> {
    for (const topic of this.created.splice(0)) await this.admin.deleteTopic(topic);
  }

  close(): void {
    this.admin.close();
  }
}
