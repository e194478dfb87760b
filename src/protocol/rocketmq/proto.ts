// The vendored RocketMQ v2 protos (proto/apache/rocketmq/v2), loaded at
// runtime. Messages are plain objects: camelCase fields, enums as their
// names, int64 as decimal strings (offsets pass 2^53), bytes as Buffers.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
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

/** apache.rocketmq.v2.MessagingService's method definitions (loaded once). */
export function messagingService(): grpc.ServiceDefinition {
  if (cached) return cached;
  const pkg = protoLoader.loadSync(SERVICE_PROTO, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  cached = pkg['apache.rocketmq.v2.MessagingService'] as grpc.ServiceDefinition;
  return cached;
}
