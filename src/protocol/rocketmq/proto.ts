// The vendored RocketMQ v2 protos (proto/apache/rocketmq/v2), loaded at
// runtime. Messages are plain objects: camelCase fields, enums as their
// names, int64 as decimal strings (offsets pass 2^53), bytes as Buffers.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeAckMessageRequest, decodePlainAcks, decodeReceiveMessageRequest } from './decode-requests.js';
import { decodeSendRequest } from './decode-send.js';
import { nativeSend } from './native-send.js';
import { EchoedAcks, encodeAckEcho, encodeAckMessageResponse, encodeSendAnswer } from './encode-answers.js';
import { SendAnswer } from './send-answer.js';
import { OK } from './status.js';

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

/** apache.rocketmq.v2.Code's numbers by name, as the loaded protos declare them. */
export function statusCodes(pkg: protoLoader.PackageDefinition): ReadonlyMap<string, number> {
  const values = (pkg['apache.rocketmq.v2.Code'] as { type: { value: { name: string; number: number }[] } }).type.value;
  return new Map(values.map((v) => [v.name, v.number]));
}

const UNDECODABLE = Symbol('undecodable');

/** Why a request's bytes did not decode (the handler answers BAD_REQUEST), or null for a request that did. */
export function undecodable(request: unknown): string | null {
  const why = (request as Record<symbol, unknown> | null)?.[UNDECODABLE];
  return typeof why === 'string' ? why : null;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

/** An answer that is exactly { status: OK } (status.ts's constant, nothing else in it). */
function isBareOk(answer: unknown): boolean {
  if (typeof answer !== 'object' || answer === null || (answer as Pb).status !== OK) return false;
  for (const k in answer) if (k !== 'status') return false;
  return OK.code === 'OK' && OK.message === 'OK';
}

/** Hand-written decoders of the hot requests (native-send.ts, decode-send.ts, decode-requests.ts): null leaves the bytes to proto-loader. SendMessage's is called with the bytes alone (its second parameter is the born time of a message without one). */
const HAND_DECODERS: Record<string, (bytes: Buffer) => object | null> = {
  SendMessage: (bytes) => nativeSend(bytes) ?? decodeSendRequest(bytes),
  AckMessage: (bytes) => decodePlainAcks(bytes) ?? decodeAckMessageRequest(bytes),
  ReceiveMessage: decodeReceiveMessageRequest,
};

/**
 * Hand-written encoders of the hot answers (encode-answers.ts): a
 * SendMessage's SendAnswer, an AckMessage's answer (echoed or plain); null
 * leaves the answer to proto-loader (`serialize`). Any other SendMessage
 * answer (an error's bare status) is proto-loader's. A SendAnswer, however
 * written, gives its request's bytes back once it is (SendAnswer.encoded).
 */
const HAND_ENCODERS: Record<string, (answer: Pb, codes: ReadonlyMap<string, number>, serialize: (answer: unknown) => Buffer) => Buffer | null> = {
  SendMessage: (answer, codes, serialize) => {
    if (!(answer instanceof SendAnswer)) return null;
    try {
      return encodeSendAnswer(answer, codes) ?? serialize(answer);
    } finally {
      answer.encoded();
    }
  },
  AckMessage: (answer, codes) => (answer instanceof EchoedAcks ? encodeAckEcho(answer.echo, codes) : encodeAckMessageResponse(answer, codes)),
};

/**
 * apache.rocketmq.v2.MessagingService's method definitions (loaded once).
 * SendMessage, AckMessage and ReceiveMessage requests, and SendMessage and
 * AckMessage answers, go through hand-written codecs where their shape is
 * the plain one (the same objects and bytes as proto-loader's); an answer
 * that is a Buffer already is passed on as it is.
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
  const codes = statusCodes(pkg);
  cached = Object.fromEntries(
    Object.entries(service).map(([name, method]) => {
      const decode = method.requestDeserialize;
      const serialize = method.responseSerialize;
      const handDecode = HAND_DECODERS[name];
      const handEncode = HAND_ENCODERS[name];
      const type = (method as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? 'its request type';
      let okBytes: Buffer | undefined;
      return [name, {
        ...method,
        responseSerialize: (answer: unknown) => {
          if (Buffer.isBuffer(answer)) return answer;
          // { status: OK } alone (a Heartbeat's answer, a receive's first): the same bytes every time.
          if (isBareOk(answer)) return (okBytes ??= serialize(answer));
          return (handEncode && typeof answer === 'object' && answer !== null ? handEncode(answer as Pb, codes, serialize) : null) ?? serialize(answer);
        },
        requestDeserialize: (bytes: Buffer) => {
          try {
            return (handDecode ? handDecode(bytes) : null) ?? decode(bytes);
          } catch (err) {
            return { [UNDECODABLE]: `the request does not decode as ${type}: ${(err as Error).message}` };
          }
        },
      }];
    }),
  ) as grpc.ServiceDefinition;
  return cached;
}
