// GET /topics/:topic/partitions/:partition/records — record batches from an
// offset, the body sent from the log files by the transfer strategy in force
// (see send-regions.ts); or, with ?format=json, the records decoded.
import type { Socket } from 'node:net';
import { releaseFetched } from '../../broker/broker.js';
import { readRegionBytes } from '../../storage/read-bytes.js';
import type { FetchResult } from '../../broker/broker.js';
import { requireAccess } from '../access.js';
import type { Call } from '../context.js';
import { badRequest, kafkaError } from '../errors.js';
import { recordsToJson } from '../json-records.js';
import { intParam, partitionParam } from '../request.js';
import { sendJson } from '../respond.js';
import { sendRegions } from '../send-regions.js';
import { BATCH_MEDIA_TYPE } from './produce.js';

/** Kafka's max.partition.fetch.bytes default. */
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Bounds, like every other limit: the body is sent from files, but a client should not ask for the whole disk. */
const MAX_MAX_BYTES = 64 * 1024 * 1024;
/** As the Kafka listener's fetch. */
const MAX_WAIT_MS = 30_000;
/** The JSON form decodes in memory: a tighter bound. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

function offsetParam(call: Call, topic: string, partition: number): bigint {
  const value = call.query.offset;
  if (value === 'earliest' || value === 'latest') {
    const r = call.ctx.broker.listOffset(topic, partition, value === 'latest' ? -1n : -2n);
    if (r.error !== 'NONE') throw kafkaError(r.error, `no partition ${topic}-${partition}`);
    return r.offset;
  }
  if (value === undefined || !/^\d{1,19}$/.test(value)) throw badRequest(`offset is required: a non-negative integer, earliest or latest${value === undefined ? '' : `, got "${value}"`}`);
  return BigInt(value);
}

export async function fetchRecords(call: Call): Promise<void> {
  const { broker } = call.ctx;
  const q = call.query;
  const topic = call.params[0]!;
  const partition = partitionParam(call.params[1]!);
  requireAccess(call, 'READ', 'TOPIC', topic);
  const json = q.format === 'json';
  if (q.format !== undefined && !json && q.format !== 'raw') throw badRequest(`format must be raw or json, got "${q.format}"`);
  const maxBytes = intParam(q.maxBytes, 'maxBytes', 1, json ? MAX_JSON_BYTES : MAX_MAX_BYTES, DEFAULT_MAX_BYTES);
  const maxWaitMs = intParam(q.maxWaitMs, 'maxWaitMs', 0, MAX_WAIT_MS, 0);
  const minBytes = intParam(q.minBytes, 'minBytes', 1, MAX_MAX_BYTES, 1);
  const offset = offsetParam(call, topic, partition);

  const results = await broker.fetch([{ topic, partition, fetchOffset: offset, maxBytes }], maxWaitMs, minBytes, maxBytes);
  // The regions keep their files open until the body has gone (or failed).
  try {
    await answer(call, results[0]!, offset, json);
  } finally {
    releaseFetched(results);
  }
}

async function answer(call: Call, r: FetchResult, offset: bigint, json: boolean): Promise<void> {
  const { broker } = call.ctx;
  const { topic, partition } = r;
  if (r.error === 'OFFSET_OUT_OF_RANGE') {
    throw kafkaError(r.error, `offset ${offset} is outside [${r.logStartOffset}, ${r.highWatermark}] of ${topic}-${partition}`, {
      logStartOffset: Number(r.logStartOffset),
      highWatermark: Number(r.highWatermark),
    });
  }
  if (r.error !== 'NONE') throw kafkaError(r.error, `${r.error} (${topic}-${partition})`);
  const marks = { 'X-High-Watermark': String(r.highWatermark), 'X-Log-Start-Offset': String(r.logStartOffset) };

  if (json) {
    const { records, nextOffset } = recordsToJson(readRegionBytes(r.regions), offset);
    sendJson(call, 200, { topic, partition, highWatermark: Number(r.highWatermark), logStartOffset: Number(r.logStartOffset), nextOffset: Number(nextOffset), records }, marks);
    return;
  }
  // No X-Next-Offset on the raw form: it lies in the last whole batch's
  // header, which only reading the log bytes would tell. A client reads it
  // there, as a Kafka consumer does.
  const headers = { 'Content-Type': BATCH_MEDIA_TYPE, ...marks };
  if (await sendRegions(call.res, call.req.socket as Socket, broker.transfer, headers, r.regions, r.bytes)) call.meter.bodyBytesOut += r.bytes;
}
