// Produce: each partition's batches go to the broker concurrently (under
// flush=batch they share one fsync); errors are per partition, never a
// dropped connection. acks=0 gets no response at all, as in Kafka.
//
// Errors are whole-batch (a batch is validated, never parsed record by
// record), so RecordErrors (v8+) stays empty and ErrorMessage says why. A
// single node never answers NOT_LEADER_OR_FOLLOWER, so the leader hints of
// v10+ (CurrentLeader, NodeEndpoints) are never sent.
//
// v13 names topics by id: an id naming no topic answers UNKNOWN_TOPIC_ID
// (the broker's check, as for Fetch), and only a name auto-creates. What a
// principal may do is decided on the name the id resolves to; refusals by
// id quote the id, so they tell nothing an id's sender did not know.
import type { Acks, ProduceResult } from '../../broker/broker.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput, type ErrorName } from '../../protocol/kafka/index.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { mayCreateTopic } from './access.js';
import { errorMessage } from './error-message.js';

type ProduceRequest = RequestBody<typeof ApiKeys.Produce>;
type ProduceResponse = ResponseInput<typeof ApiKeys.Produce>;
type PartitionResponse = NonNullable<NonNullable<ProduceResponse['responses']>[number]['partitionResponses']>[number];

/** Produce v13 names topics by id (KIP-516). */
const TOPIC_IDS_VERSION = 13;

export async function produce(ctx: HandlerContext, req: ProduceRequest, meta: RequestMeta): Promise<ProduceResponse | null> {
  const { apiVersion } = meta;
  const byId = apiVersion >= TOPIC_IDS_VERSION;
  const acks = req.acks;
  const valid = acks === 0 || acks === 1 || acks === -1;
  // A transactional produce needs WRITE on its transactional id (every partition refused without), then WRITE on each topic.
  const txnDenied = req.transactionalId !== null && !meta.access.can('WRITE', 'TRANSACTIONAL_ID', req.transactionalId);
  // v12 under transaction.version 2: transactional batches' partitions join their transaction first (KIP-890 part 2).
  const gate = ctx.broker.transactions.gate(req.transactionalId, meta.apiVersion);
  // Every partition's append starts now, in request order; one await for them all.
  const answers: (PartitionResponse | Promise<PartitionResponse>)[] = [];
  for (const t of req.topicData) {
    // By id: '' when the id names no topic, which no authorizer is asked about.
    const name = byId ? ctx.broker.topics.nameById(t.topicId) : t.name;
    const unknownId = byId && name === '';
    const shown = byId ? `id ${t.topicId}` : t.name;
    const request = byId ? { topicId: t.topicId } : undefined;
    for (const p of t.partitionData) {
      if (!valid) answers.push(refused(p.index, 'INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${acks}`));
      else if (txnDenied) answers.push(refused(p.index, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', `${meta.session.principal} may not write as transactional id ${req.transactionalId}`));
      else if (!unknownId && !meta.access.can('WRITE', 'TOPIC', name)) answers.push(refused(p.index, 'TOPIC_AUTHORIZATION_FAILED', `${meta.session.principal} may not write to topic ${shown}`));
      else if (!byId && meta.access.enforced && !ctx.broker.topics.get(name) && !mayCreateTopic(meta.access, name)) answers.push(refused(p.index, 'TOPIC_AUTHORIZATION_FAILED', `topic ${name} does not exist and ${meta.session.principal} may not create it`));
      else {
        answers.push(
          gate(name, p.index, p.records, () => ctx.broker.produce(name, p.index, p.records, acks as Acks, req.transactionalId, request)).then((r) => {
            if (r.error !== 'NONE' && r.message) ctx.log('warn', `produce to ${name}-${p.index} refused: ${r.error}: ${r.message}`);
            return partitionResponse(p.index, r);
          }),
        );
      }
    }
  }
  const settled = await Promise.all(answers);
  if (acks === 0) return null;
  let i = 0;
  // One object shape for every version (the encoder writes the fields its version has): a spread of
  // one of two shapes cost a CloneObject per topic and left the encoder's property loads polymorphic.
  const responses = req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map(() => settled[i++]!) }));
  return { responses, throttleTimeMs: 0 };
}

function refused(index: number, error: ErrorName, message: string): PartitionResponse {
  return partitionResponse(index, { error, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, message });
}

function partitionResponse(index: number, r: ProduceResult): PartitionResponse {
  return {
    index,
    errorCode: errorCode(r.error),
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTimeMs,
    logStartOffset: r.logStartOffset,
    recordErrors: [],
    errorMessage: r.error === 'NONE' ? null : errorMessage(r.message),
  };
}
