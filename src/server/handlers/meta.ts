// ApiVersions and FindCoordinator: how a client finds out what this broker
// speaks, and where its group lives (here). Which topics exist: metadata.ts.
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { Access } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';

export function apiVersions(ctx: HandlerContext): ResponseInput<typeof ApiKeys.ApiVersions> {
  return { errorCode: 0, apiKeys: ctx.apis.map((a) => ({ ...a })), throttleTimeMs: 0 };
}

type FindCoordinatorRequest = RequestBody<typeof ApiKeys.FindCoordinator>;
type FindCoordinatorResponse = ResponseInput<typeof ApiKeys.FindCoordinator>;
type Coordinator = NonNullable<FindCoordinatorResponse['coordinators']>[number];

/**
 * Every group (key type 0) and transactional id (1) is coordinated here. Share groups (2, v6+)
 * are not served. From v4 a request asks for many keys of one type and each gets its own answer.
 */
export function findCoordinator(ctx: HandlerContext, req: FindCoordinatorRequest, meta: RequestMeta): FindCoordinatorResponse {
  if (meta.apiVersion < 4) return { throttleTimeMs: 0, ...coordinatorOf(ctx, meta.access, req.keyType, req.key) };
  return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => ({ key, ...coordinatorOf(ctx, meta.access, req.keyType, key) })) };
}

/** The answer for a key: the same fields, whether at the top (v0-v3) or per key (v4+). DESCRIBE on the group or transactional id, as Kafka. */
function coordinatorOf(ctx: HandlerContext, access: Access, keyType: number, key: string): Required<Omit<Coordinator, 'key'>> {
  if (keyType !== 0 && keyType !== 1) {
    return { errorCode: errorCode('INVALID_REQUEST'), errorMessage: `unknown key type ${keyType}`, nodeId: -1, host: '', port: -1 };
  }
  if (!access.can('DESCRIBE', keyType === 0 ? 'GROUP' : 'TRANSACTIONAL_ID', key)) {
    return { errorCode: errorCode(keyType === 0 ? 'GROUP_AUTHORIZATION_FAILED' : 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), errorMessage: null, nodeId: -1, host: '', port: -1 };
  }
  return { errorCode: 0, errorMessage: null, nodeId: ctx.nodeId, host: ctx.host, port: ctx.port };
}
