// ActiveMQ Classic through STOMP with @stomp/stompjs. The client: Debian's
// activemq 5.17.2 has no AMQP 1.0 transport (activemq-amqp needs
// qpid-proton-j, which Debian does not package), so rhea, the best-kept
// AMQP 1.0 client, has nothing to talk to; STOMP is built in, and
// @stomp/stompjs is its best-kept Node client (TypeScript, released
// through 2026, no dependencies; stompit and stomp-client are years
// without a release). It is written against WebSocket; StompTcpSocket
// carries it over TCP.
//
// Subscriptions are ActiveMQ's virtual topics: a producer sends to topic
// VirtualTopic.<topic>, and the broker copies each message to every queue
// Consumer.<subscription>.VirtualTopic.<topic>, where the subscription's
// consumers compete (client-individual acks, a prefetch). A queue exists
// from its first consumer's SUBSCRIBE, which the driver waits for (a
// receipt), so a subscription gets everything sent after createConsumer.
// Every SEND asks for a receipt, which ActiveMQ sends once the broker has
// taken the message (for a persistent one: stored in KahaDB, which syncs
// its journal before answering).
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import type { ConsumerCallback, DriverFactory, DriverOptions, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import type { PersistenceSpec } from '../systems.js';
import { prefetchFor } from './prefetch.js';
import { StompTcpSocket } from './stomp-socket.js';

export const ACTIVEMQ_MODES: PersistenceSpec[] = [
  { id: 'on', label: 'persistent messages (KahaDB, journal synced before the receipt), virtual-topic queues' },
  { id: 'off', label: 'non-persistent messages (memory, spooled to temp storage under pressure), virtual-topic queues' },
];

/**
 * A name as one segment of an ActiveMQ destination: '.' separates segments,
 * '*' and '>' are wildcards, ',' makes a composite; each character outside
 * [A-Za-z0-9_-] becomes ~ and its code in hex ("a.b" -> "a~2eb").
 */
export function destinationSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.codePointAt(0)!.toString(16)}`);
}

const topicDestination = (topic: string): string => `/topic/VirtualTopic.${destinationSegment(topic)}`;
const queueDestination = (topic: string, subscription: string): string => `/queue/Consumer.${destinationSegment(subscription)}.VirtualTopic.${destinationSegment(topic)}`;

const frameError = (frame: IFrame): Error => new Error(`activemq: ${frame.headers.message ?? 'ERROR frame'}${frame.body ? `: ${frame.body.trim().split('\n')[0]}` : ''}`);

/**
 * One STOMP connection, connected when open() resolves. Every command that
 * asks for a receipt waits in `pending` until its RECEIPT, the ERROR that
 * names it, or the connection's end, whichever comes first.
 */
class StompConnection {
  readonly client: Client;
  socket: StompTcpSocket | null = null;
  private readonly pending = new Map<string, (err: Error | null) => void>();
  private lost: Error | null = null;

  constructor(private readonly o: DriverOptions) {
    this.client = new Client({
      webSocketFactory: () => (this.socket = new StompTcpSocket(o.endpoint.host, o.endpoint.port)),
      connectHeaders: { host: 'localhost' },
      // No reconnecting behind the run's back, no heart-beat timers on a loopback socket.
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      debug: () => undefined,
    });
  }

  get failure(): Error | null {
    return this.lost;
  }

  private lose(err: Error): void {
    if (this.lost) return;
    this.lost = err;
    for (const settle of this.pending.values()) settle(err);
    this.pending.clear();
  }

  open(timeoutMs = 10_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`activemq: no STOMP CONNECTED from ${this.o.endpoint.host}:${this.o.endpoint.port} within ${timeoutMs} ms`));
        void this.client.deactivate({ force: true });
      }, timeoutMs);
      this.client.onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.onStompError = (frame) => {
        const err = frameError(frame);
        const receipt = frame.headers['receipt-id'];
        const settle = receipt === undefined ? undefined : this.pending.get(receipt);
        if (settle) {
          this.pending.delete(receipt!);
          settle(err);
          return;
        }
        clearTimeout(timer);
        reject(err);
        this.lose(err);
      };
      this.client.onWebSocketClose = () => {
        const err = new Error(`activemq: connection to ${this.o.endpoint.host}:${this.o.endpoint.port} closed${this.socket?.error ? `: ${this.socket.error.message}` : ''}`);
        clearTimeout(timer);
        reject(err);
        this.lose(err);
      };
      this.client.activate();
    });
  }

  /** Sends a frame through `send` with a receipt header added, and resolves when the broker acknowledges it. */
  withReceipt(receipt: string, send: (headers: StompHeaders) => void): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<void>((resolve, reject) => {
      this.pending.set(receipt, (err) => (err ? reject(err) : resolve()));
      this.client.watchForReceipt(receipt, () => {
        this.pending.delete(receipt);
        resolve();
      });
      try {
        send({ receipt });
      } catch (err) {
        this.pending.delete(receipt);
        reject(err as Error);
      }
    });
  }

  async close(): Promise<void> {
    // Anything still waiting for a receipt fails now; DISCONNECT waits for its own receipt, bounded for a broker that no longer answers.
    this.lose(new Error('activemq: connection closed by the driver'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.deactivate(),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => void this.client.deactivate({ force: true }).then(resolve), 5_000);
      }),
    ]);
    clearTimeout(timer);
  }
}

class StompProducer implements PeerProducer {
  private next = 0;

  constructor(
    private readonly conn: StompConnection,
    private readonly destination: string,
    private readonly persistent: string,
  ) {}

  async sendAsync(key: string | null, payload: Buffer): Promise<void> {
    // A full socket buffer holds the next frames back rather than queueing them in memory.
    while (this.conn.socket?.backedUp) await this.conn.socket.drained();
    return this.conn.withReceipt(`s${this.next++}`, (h) => {
      const headers: StompHeaders = { ...h, persistent: this.persistent };
      if (key !== null) headers['mqlab-key'] = key;
      this.conn.client.publish({ destination: this.destination, headers, binaryBody: payload });
    });
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

class StompConsumer implements PeerConsumer {
  closing = false;

  constructor(
    private readonly conn: StompConnection,
    private readonly subscriptionId: string,
  ) {}

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // UNSUBSCRIBE first: what was prefetched but not acknowledged goes back to the queue for the other consumers.
    await this.conn.withReceipt(`u-${this.subscriptionId}`, (h) => this.conn.client.unsubscribe(this.subscriptionId, h)).catch(() => undefined);
    await this.conn.close();
  }
}

class ActivemqDriver implements PeerDriver {
  readonly name = 'activemq';
  readonly notes: string[];
  private readonly open = new Set<StompConnection>();
  private readonly persistent: string;

  constructor(private readonly o: DriverOptions) {
    this.persistent = o.mode === 'on' ? 'true' : 'false';
    this.notes = [
      'protocol: STOMP 1.2 (@stomp/stompjs); Debian\'s ActiveMQ has no AMQP 1.0 transport',
      `topic: virtual topic VirtualTopic.<topic>; subscription: queue Consumer.<subscription>.VirtualTopic.<topic>, shared by its consumers (client-individual ack of each message, prefetch ${prefetchFor(o.messageSize)})`,
      'partitions: ActiveMQ has none; each subscription is one queue whatever the partition count',
      'keys: sent as a header (mqlab-key) and not used for dispatch; message groups (JMSXGroupID), which would keep per-key order across competing consumers, are not used',
      o.mode === 'on'
        ? 'mode on: persistent messages; a send resolves on its STOMP receipt, sent once the message is in KahaDB (journal synced) for every subscription queue (or, with ActiveMQ\'s default concurrent store and dispatch, already delivered and acknowledged, which cancels the write)'
        : 'mode off: non-persistent messages (kept in memory, spooled to temp storage under memory pressure, lost on restart); a send still resolves on its receipt, so it means the broker took the message',
      'publish time: the broker\'s JMS timestamp (ms), from the timestamp header of each delivery',
      'deleteTopics: STOMP cannot delete destinations; the queues and virtual topics stay on the broker (a server the lab started is discarded with its data directory)',
      'connections: one per producer and per consumer',
    ];
  }

  private async connect(): Promise<StompConnection> {
    const conn = new StompConnection(this.o);
    try {
      await conn.open();
    } catch (err) {
      await conn.close();
      throw err;
    }
    this.open.add(conn);
    return conn;
  }

  async createTopic(_topic: string, _partitions: number): Promise<void> {
    // A virtual topic exists from its first send and its queues from their first consumer: nothing to declare.
  }

  async createProducer(topic: string): Promise<PeerProducer> {
    return new StompProducer(await this.connect(), topicDestination(topic), this.persistent);
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    const conn = await this.connect();
    const id = `sub-${destinationSegment(subscription)}`;
    const consumer = new StompConsumer(conn, id);
    const deliver = (m: IMessage): void => {
      // Closing: left unacknowledged, it goes back to the queue with the UNSUBSCRIBE.
      if (consumer.closing) return;
      const body = m.binaryBody;
      const ts = Number(m.headers.timestamp);
      onMessage(Buffer.from(body.buffer, body.byteOffset, body.byteLength), ts > 0 ? ts : NaN);
      m.ack();
    };
    try {
      await conn.withReceipt(`subscribe-${id}`, (h) =>
        conn.client.subscribe(queueDestination(topic, subscription), deliver, { ...h, id, ack: 'client-individual', 'activemq.prefetchSize': String(prefetchFor(this.o.messageSize)) }),
      );
    } catch (err) {
      await conn.close();
      throw err;
    }
    return consumer;
  }

  async deleteTopics(): Promise<void> {
    // See notes: STOMP has no command that removes a destination.
  }

  async close(): Promise<void> {
    for (const conn of this.open) await conn.close();
    this.open.clear();
  }
}

export const activemqDriver: DriverFactory = async (o) => {
  if (!ACTIVEMQ_MODES.some((m) => m.id === o.mode)) throw new Error(`activemq: unknown persistence mode "${o.mode}" (${ACTIVEMQ_MODES.map((m) => m.id).join(', ')})`);
  return new ActivemqDriver(o);
};
