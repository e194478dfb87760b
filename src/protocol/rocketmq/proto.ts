// The vendored RocketMQ v2 protos (proto/apache/rocketmq/v2), loaded at
// runtime. Messages are plain objects: camelCase fields, enums as their
// names, int64 as decimal strings (offsets pass 2^53), bytes as Buffers.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const SERVICE_PROTO = 'apache/rocketmq/v2/service.proto';

/** The package's proto/ directory: found by walking up, as this file runs from src/ (tests) or dist/src/. */
export function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, SERVICE_PROTO))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find proto/${SERVICE_PROTO} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let cached: grpc.ServiceDefinition | null = null;

const UNDECODABLE = Symbol('undecodable');

/** Why a request's bytes did not decode (the handler answers BAD_REQUEST), or null for a request that did. */
export function undecodable(request: unknown): string | null {
  const why = (request as Record<symbol, unknown> | null)?.[UNDECODABLE];
  return typeof why === 'string' ? why : null;
}

/**
 * apache.rocketmq.v2.MessagingService's method definitions (loaded once).
 * A request that does not decode is handed to its handler as a marker
 * (see undecodable()) rather than failed by grpc-js: the handler answers it
 * with a RocketMQ status like any bad request, and a Telemetry stream goes
 * on. (grpc-js would end the call with INTERNAL; on a stream the server
 * has written to, a write of ours racing that ending left the call open
 * until the client's deadline, if it had one.)
 */
export function messagingService(): grpc.ServiceDefinition {
  if (cached) return cached;
  const pkg = protoLoader.loadSync(SERVICE_PROTO, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const service = pkg['apache.rocketmq.v2.MessagingService'] as grpc.ServiceDefinition;
  cached = Object.fromEntries(
    Object.entries(service).map(([name, method]) => {
      const decode = method.requestDeserialize;
      const type = (method as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? 'its request type';
      return [name, {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return decode(bytes);
          } catch (err) {
            return { [UNDECODABLE]: `the request does not decode as ${type}: ${(err as Error).message}` };
          }
        },
      }];
    }),
  ) as grpc.ServiceDefinition;
  return cached;
}
