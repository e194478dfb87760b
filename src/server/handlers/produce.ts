// Produce: each partition's batches go to the broker concurrently (under
// flush=batch they share one fsync); errors are per partition, never a
// dropped connection. acks=0 gets no response at all, as in Kafka.
import type { Acks } from '../../broker/broker.js';
import { errorCode } from '../../protocol/kafka/index.js';
import type { HandlerContext } from './context.js';
import { errorMessage } from './error-message.js';

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

export async function produce(ctx: HandlerContext, req: ProduceRequest): Promise<object | null> {
  const acks = req.acks;
  const valid = acks === 0 || acks === 1 || acks === -1;
  const responses = await Promise.all(
    req.topicData.map(async (t) => ({
      name: t.name,
      partitionResponses: await Promise.all(
        t.partitionData.map(async (p) => {
          if (!valid) return partitionResponse(p.index, 'INVALID_REQUIRED_ACKS', -1n, -1n, `acks must be 0, 1 or -1, got ${acks}`);
          if (req.transactionalId !== null) return partitionResponse(p.index, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', -1n, -1n, 'transactions are not supported');
          const r = await ctx.broker.produce(t.name, p.index, p.records, acks as Acks);
          if (r.error !== 'NONE' && r.message) ctx.log('warn', `produce to ${t.name}-${p.index} refused: ${r.error}: ${r.message}`);
          return partitionResponse(p.index, r.error, r.baseOffset, r.logStartOffset, r.message ?? null);
        }),
      ),
    })),
  );
  if (acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
}

function partitionResponse(index: number, error: string, baseOffset: bigint, logStartOffset: bigint, message: string | null): object {
  return {
    index,
    errorCode: errorCode(error),
    baseOffset,
    logAppendTimeMs: -1n,
    logStartOffset,
    recordErrors: [],
    errorMessage: error === 'NONE' ? null : errorMessage(message),
  };
}
