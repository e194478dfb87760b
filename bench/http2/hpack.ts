// bench/http2/hpack: what HpackDecoder costs per gRPC request header block.
// The blocks are real: a grpc-js client makes unary calls to a raw HTTP/2
// server (raw-h2.ts) and its header blocks are kept in order, so the decoder
// sees what it will in service: a first block of literals, then blocks of
// indexed fields plus the new Huffman-coded request id and grpc-timeout that
// are inserted (and older entries evicted) every call.
//   npx tsx bench/http2/hpack.ts        (or node dist/bench/http2/hpack.js)
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { encodeHeaders, HpackDecoder } from '../../src/protocol/http2/hpack.js';
import { listenRawH2, type HeaderBlock } from './raw-h2.js';

const CALLS = 200; // blocks captured from one connection
const DECODES = 100_000;
const WARMUP = 20_000;

async function captureGrpcBlocks(calls: number): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  const { port, server } = await listenRawH2((conn) => {
    conn.on('block', (b: HeaderBlock) => blocks.push(b.block));
    conn.on('streamEnd', (streamId: number) => {
      conn.sendHeaders(streamId, encodeHeaders([[':status', '200'], ['content-type', 'application/grpc']]), false);
      conn.sendData(streamId, Buffer.from([0, 0, 0, 0, 0]), false);
      conn.sendHeaders(streamId, encodeHeaders([['grpc-status', '0']]), true);
    });
  });
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const same = (b: Buffer): Buffer => b;
  for (let i = 0; i < calls; i++) {
    const metadata = new grpc.Metadata();
    metadata.set('x-request-id', randomUUID());
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest('/mqlab.Broker/Produce', same, same, Buffer.from('record'), metadata, { deadline: Date.now() + 5000 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  client.close();
  server.close();
  return blocks;
}

/** Decodes the blocks in order, a fresh decoder (a new connection) each time round. */
function run(blocks: Buffer[], decodes: number): number {
  let fields = 0;
  let decoder = new HpackDecoder();
  for (let i = 0; i < decodes; i++) {
    const k = i % blocks.length;
    if (k === 0) decoder = new HpackDecoder();
    fields += decoder.decode(blocks[k]!).headers.length;
  }
  return fields;
}

const blocks = await captureGrpcBlocks(CALLS);
const sample = new HpackDecoder().decode(blocks[0]!).headers;
const steadyBytes = blocks.slice(1).reduce((n, b) => n + b.length, 0) / (blocks.length - 1);
console.log(`${blocks.length} grpc-js request header blocks: the first ${blocks[0]!.length} B, then ${steadyBytes.toFixed(1)} B on average; ${sample.length} fields:`);
for (const [name, value] of sample) console.log(`  ${name}: ${value}`);

run(blocks, WARMUP);
// Best of a few rounds, by CPU time as well as wall time: the machine is shared.
const ROUNDS = 5;
let best = { wall: Infinity, cpu: Infinity, fields: 0 };
for (let r = 0; r < ROUNDS; r++) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const fields = run(blocks, DECODES);
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  const { user, system } = process.cpuUsage(cpu0);
  if (wall < best.wall) best = { wall, cpu: user + system, fields };
}
console.log(
  `decode: ${(best.wall / DECODES).toFixed(3)} µs per block wall, ${(best.cpu / DECODES).toFixed(3)} µs CPU ` +
    `(${DECODES.toLocaleString('en')} blocks, best of ${ROUNDS} rounds; ${((best.wall * 1000) / best.fields).toFixed(0)} ns per field)`,
);

const response: Array<[string, string]> = [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-accept-encoding', 'identity,deflate,gzip']];
const trailers: Array<[string, string]> = [['grpc-status', '0'], ['grpc-message', '']];
let bytes = 0;
for (let i = 0; i < WARMUP; i++) bytes += encodeHeaders(response).length + encodeHeaders(trailers).length;
const t1 = process.hrtime.bigint();
for (let i = 0; i < DECODES; i++) bytes += encodeHeaders(response).length + encodeHeaders(trailers).length;
const ns1 = Number(process.hrtime.bigint() - t1);
console.log(`encodeHeaders: ${(ns1 / 1000 / DECODES).toFixed(3)} µs per gRPC response (headers + trailers, ${bytes / (WARMUP + DECODES)} B)`);
