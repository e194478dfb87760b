// The RocketMQ endpoint: a gRPC server (insecure: loopback by default, like
// the Kafka listener) serving MessagingService over the same broker.
import * as grpc from '@grpc/grpc-js';
import type { Broker } from '../../broker/broker.js';
import { PopService } from '../../broker/rocketmq/pop-service.js';
import { PROPERTY_ROOM_BYTES } from '../../broker/rocketmq/publish.js';
import { messagingService } from './proto.js';
import { messagingHandlers, type ServiceContext } from './service.js';

export const DEFAULT_ROCKETMQ_PORT = 8081;

export interface RocketMqEndpoint {
  host: string;
  port: number;
  /** ReceiveMessage calls being served now (long polls included). */
  receiving(): number;
  /** Log bytes consumers' receives have read (tag filtering's cost shows here). */
  logBytesRead(): number;
  close(): Promise<void>;
}

export interface RocketMqOptions {
  host: string;
  port: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** How long close() lets calls finish before cancelling them. */
const GRACE_MS = 1_000;

export async function startRocketMq(broker: Broker, o: RocketMqOptions): Promise<RocketMqEndpoint> {
  const log = o.log ?? (() => undefined);
  const maxMessage = Number(broker.configs.get('message.max.bytes')) + PROPERTY_ROOM_BYTES;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': Math.max(4 * 1024 * 1024, maxMessage),
    'grpc.max_send_message_length': -1,
  });
  const address = { host: o.host, port: o.port };
  const clients = new Map<string, number>();
  const ctx: ServiceContext = {
    broker,
    pop: new PopService(broker, (m) => log('warn', m), (id) => clients.has(id)),
    advertised: () => address,
    log,
    telemetry: new Set(),
    receiving: 0,
    clients,
  };
  server.addService(messagingService(), messagingHandlers(ctx));
  const target = o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  address.port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
  let closing: Promise<void> | null = null;
  return {
    host: address.host,
    port: address.port,
    receiving: () => ctx.receiving,
    logBytesRead: () => ctx.pop.logBytesRead,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // Telemetry streams never end by themselves: end them, so shutdown can complete.
        for (const call of ctx.telemetry) {
          try {
            call.end();
          } catch {
            // already gone
          }
        }
        ctx.telemetry.clear();
        const force = setTimeout(() => server.forceShutdown(), GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      })),
  };
}
