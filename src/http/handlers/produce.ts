// POST /topics/:topic/partitions/:partition/records — append record
// batches as they come (application/vnd.kafka.batch: the broker checks the
// batch header and CRC and never decodes records), or records as JSON
// (application/json: encoded here into one batch).
import type { Acks } from '../../broker/broker.js';
import { allowed, requireAccess } from '../access.js';
import { CLUSTER } from '../../server/handlers/access.js';
import type { Call } from '../context.js';
import { HttpError, badRequest, kafkaError } from '../errors.js';
import { batchFromJson } from '../json-records.js';
import { mediaType, parseJson, partitionParam, readBody } from '../request.js';
import { sendJson } from '../respond.js';

export const BATCH_MEDIA_TYPE = 'application/vnd.kafka.batch';

/**
 * JSON bodies are held to this many bytes per byte of message.max.bytes (8 MiB
 * by default): the JSON of a batch that fits is smaller (its strings as
 * they are, or escaped at worst six bytes a byte), and parsing JSON takes
 * about six times its size in memory, so a larger body could only cost.
 */
export const JSON_BYTES_PER_BATCH_BYTE = 8;

function acksParam(value: string | undefined): Acks {
  switch (value) {
    case undefined:
    case '-1':
    case 'all':
      return -1;
    case '1':
      return 1;
    case '0':
      return 0;
    default:
      throw badRequest(`acks must be 0, 1, -1 or all, got "${value}"`);
  }
}

export async function produceRecords(call: Call): Promise<void> {
  const { broker, maxBodyBytes } = call.ctx;
  const topic = call.params[0]!;
  const partition = partitionParam(call.params[1]!);
  const acks = acksParam(call.query.acks);
  requireAccess(call, 'WRITE', 'TOPIC', topic);
  if (!broker.topics.get(topic) && !allowed(call, 'CREATE', 'CLUSTER', CLUSTER, true)) requireAccess(call, 'CREATE', 'TOPIC', topic);
  const type = mediaType(call);
  if (type !== BATCH_MEDIA_TYPE && type !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type must be ${BATCH_MEDIA_TYPE} (record batches) or application/json (records), got "${type || 'none'}"`);
  }
  const maxBatchBytes = Number(broker.configs.get('message.max.bytes'));
  const body = await readBody(call, type === 'application/json' ? Math.min(maxBodyBytes, JSON_BYTES_PER_BATCH_BYTE * maxBatchBytes) : maxBodyBytes);
  let batch = body;
  let recordCount: number | undefined;
  if (type === 'application/json') {
    ({ batch, count: recordCount } = batchFromJson(parseJson(body), maxBatchBytes));
  }

  if (acks === 0) {
    // Kafka's acks=0: nobody waits for the outcome. Failures still count in
    // /metrics (mqlab_produce_errors_total).
    broker.produce(topic, partition, batch, 0).catch((err: Error) => call.ctx.log('error', `acks=0 produce to ${topic}-${partition}: ${err.message}`));
    sendJson(call, 202, { topic, partition, accepted: true });
    return;
  }
  const r = await broker.produce(topic, partition, batch, acks);
  if (r.error !== 'NONE') throw kafkaError(r.error, r.message ?? `${r.error} (${topic}-${partition})`);
  sendJson(call, 200, { topic, partition, baseOffset: Number(r.baseOffset), logStartOffset: Number(r.logStartOffset), ...(recordCount === undefined ? {} : { recordCount }) });
}
