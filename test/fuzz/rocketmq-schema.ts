// The RocketMQ v2 protos as protobufjs types, for the gRPC fuzzer: it
// builds requests from them, mutates their wire encoding with the schema in
// hand (which field is a string, an enum, a message), and decodes the
// answers. The same vendored files the server loads (src/protocol/rocketmq/proto.ts).
import { join } from 'node:path';
// protobufjs comes with @grpc/proto-loader, which the server loads its protos with.
import protobuf from 'protobufjs';
import { protoRoot } from '../../src/protocol/rocketmq/proto.js';

export type RpcKind = 'unary' | 'serverStream' | 'bidi';

export interface Rpc {
  name: string;
  path: string;
  kind: RpcKind;
  request: protobuf.Type;
  response: protobuf.Type;
}

let cached: { root: protobuf.Root; rpcs: Rpc[] } | null = null;

function load(): { root: protobuf.Root; rpcs: Rpc[] } {
  if (cached) return cached;
  const dir = protoRoot();
  const root = new protobuf.Root();
  // google/protobuf/*.proto are protobufjs's own common types.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(dir, target));
  root.loadSync('apache/rocketmq/v2/service.proto', { keepCase: false });
  root.resolveAll();
  const service = root.lookupService('apache.rocketmq.v2.MessagingService');
  const rpcs = service.methodsArray.map((m) => ({
    name: m.name,
    path: `/apache.rocketmq.v2.MessagingService/${m.name}`,
    kind: (m.requestStream ? 'bidi' : m.responseStream ? 'serverStream' : 'unary') as RpcKind,
    request: m.resolvedRequestType!,
    response: m.resolvedResponseType!,
  }));
  cached = { root, rpcs };
  return cached;
}

export function rpcs(): Rpc[] {
  return load().rpcs;
}

export function rpc(name: string): Rpc {
  const r = load().rpcs.find((x) => x.name === name);
  if (!r) throw new Error(`no RPC ${name}`);
  return r;
}

export function messageType(name: string): protobuf.Type {
  return load().root.lookupType(`apache.rocketmq.v2.${name}`);
}

/** The name of a Code value (apache.rocketmq.v2.Code), or the number if it has none. */
export function codeName(code: number): string {
  const e = load().root.lookupEnum('apache.rocketmq.v2.Code');
  return e.valuesById[code] ?? String(code);
}

/** Encodes a plain object (camelCase, enums by name) as `type`. */
export function encode(type: protobuf.Type, value: Record<string, unknown>): Buffer {
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** Decodes as the server does (enums by name, int64 as strings); throws on bytes that do not decode. */
export function decode(type: protobuf.Type, bytes: Buffer): Record<string, any> {
  return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true });
}
