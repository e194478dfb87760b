// gRPC calls of raw bytes (grpc-js with identity serializers): the fuzzer
// sends protobuf it encoded and mutated itself, and reads the answers as
// bytes, decoding them here. Also typed helpers over the same client for
// setup, witness and probe (plain objects in, decoded objects out).
import * as grpc from '@grpc/grpc-js';
import { decode, encode, rpc } from './rocketmq-schema.js';

const identity = (b: Buffer): Buffer => b;

export interface CallResult {
  /** The gRPC status the call ended with. */
  code: grpc.status;
  details: string;
  /** The answers, as bytes, in order. */
  responses: Buffer[];
  ms: number;
}

/**
 * A channel of its own (not shared with other clients in this process), any
 * message size both ways; `gzip` compresses what it sends.
 */
export function openChannel(target: string, gzip = false): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    ...(gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
  });
}

function metadataOf(clientId: string | null): grpc.Metadata {
  const md = new grpc.Metadata();
  if (clientId !== null) md.set('x-mq-client-id', clientId);
  md.set('x-mq-language', 'NODE_JS');
  return md;
}

/**
 * One call of `path` (kind as the RPC is) with `requests` as the message(s)
 * sent; resolves when it ends, however it ends.
 */
export function callRaw(client: grpc.Client, path: string, kind: 'unary' | 'serverStream' | 'bidi', requests: Buffer[], clientId: string | null, deadlineMs: number): Promise<CallResult> {
  const started = performance.now();
  const options = { deadline: Date.now() + deadlineMs };
  const md = metadataOf(clientId);
  return new Promise((resolve) => {
    const responses: Buffer[] = [];
    let done = false;
    const finish = (code: grpc.status, details: string): void => {
      if (done) return;
      done = true;
      resolve({ code, details, responses, ms: performance.now() - started });
    };
    if (kind === 'unary') {
      client.makeUnaryRequest(path, identity, identity, requests[0]!, md, options, (err, res) => {
        if (res) responses.push(res);
        finish(err ? (err.code ?? grpc.status.UNKNOWN) : grpc.status.OK, err?.details ?? '');
      });
      return;
    }
    const call = kind === 'serverStream' ? client.makeServerStreamRequest(path, identity, identity, requests[0]!, md, options) : client.makeBidiStreamRequest(path, identity, identity, md, options);
    call.on('data', (d: Buffer) => responses.push(d));
    call.on('status', (s: grpc.StatusObject) => finish(s.code, s.details));
    // An error is followed by its status; the listener keeps it from being thrown.
    call.on('error', () => undefined);
    if (kind === 'bidi') {
      const duplex = call as grpc.ClientDuplexStream<Buffer, Buffer>;
      for (const r of requests) duplex.write(r);
      duplex.end();
    }
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded proto objects */
type Pb = Record<string, any>;

/** A unary call with a plain object, answered with the decoded response (throws on a gRPC error). */
export async function unary(client: grpc.Client, name: string, request: Pb, clientId = 'fuzz-setup', deadlineMs = 10_000): Promise<Pb> {
  const r = rpc(name);
  const res = await callRaw(client, r.path, 'unary', [encode(r.request, request)], clientId, deadlineMs);
  if (res.code !== grpc.status.OK) throw new Error(`${name}: gRPC ${grpc.status[res.code]}: ${res.details}`);
  return decode(r.response, res.responses[0]!);
}

/** ReceiveMessage with a plain object: the decoded answers (a status, then messages). */
export async function receive(client: grpc.Client, request: Pb, clientId = 'fuzz-setup', deadlineMs = 10_000): Promise<Pb[]> {
  const r = rpc('ReceiveMessage');
  const res = await callRaw(client, r.path, 'serverStream', [encode(r.request, request)], clientId, deadlineMs);
  if (res.code !== grpc.status.OK) throw new Error(`ReceiveMessage: gRPC ${grpc.status[res.code]}: ${res.details}`);
  return res.responses.map((b) => decode(r.response, b));
}
