// The broker's listener: accepts connections up to the limit and hands
// each to a Connection.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { TransferStrategy } from '../../transfer/types.js';
import { Connection, type NetLog, type RequestHandler } from './connection.js';
import { checkLimits, DEFAULT_NETWORK_LIMITS, type NetworkLimits } from './limits.js';
import { QueueBudget } from './queue-budget.js';

export interface KafkaServerOptions {
  host?: string;
  port?: number;
  limits?: Partial<NetworkLimits>;
  handler: RequestHandler;
  transfer: TransferStrategy;
  log?: NetLog;
}

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Map<number, Connection>();
  private readonly limits: NetworkLimits;
  private readonly budget: QueueBudget;
  private readonly responseBudget: QueueBudget;
  private readonly log: NetLog;
  private nextId = 1;
  refusedConnections = 0;

  constructor(private readonly options: KafkaServerOptions) {
    this.limits = checkLimits({ ...DEFAULT_NETWORK_LIMITS, ...options.limits });
    this.budget = new QueueBudget(this.limits.maxQueuedBytes);
    this.responseBudget = new QueueBudget(this.limits.maxUnsentMemoryBytes);
    this.log = options.log ?? (() => undefined);
    this.server = createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<{ host: string; port: number }> {
    this.server.listen(this.options.port ?? 9092, this.options.host ?? '127.0.0.1');
    await once(this.server, 'listening');
    const a = this.server.address() as { address: string; port: number };
    return { host: a.address, port: a.port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get queuedBytes(): number {
    return this.budget.usedBytes;
  }

  /** In-memory response bytes not yet sent, across connections. */
  get unsentMemoryBytes(): number {
    return this.responseBudget.usedBytes;
  }

  /** The most response bytes (memory and file regions) any one connection has not yet sent. */
  get maxUnsentBytes(): number {
    let most = 0;
    for (const c of this.connections.values()) most = Math.max(most, c.unsentBytes);
    return most;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.limits.maxConnections) {
      this.refusedConnections++;
      this.log('warn', `refusing connection from ${socket.remoteAddress}: ${this.limits.maxConnections} connections open`);
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const c = new Connection(id, socket, this.options.handler, this.options.transfer, this.limits, this.budget, this.responseBudget, this.log);
    this.connections.set(id, c);
    socket.once('close', () => this.connections.delete(id));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections.values()) c.close();
    await closed;
  }
}
