// ApiVersions and FindCoordinator: how a client finds out what this broker
// speaks, and where its group lives (here). Which topics exist: metadata.ts.
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { Access } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';

/** Kafka's feature flags (KIP-584): transaction.version alone (KIP-890), levels 0-2. */
const TRANSACTION_VERSION = { name: 'transaction.version', minVersion: 0, maxVersion: 2 };

/**
 * From v3, the features: supported, and finalized at the level the broker
 * config transaction.version sets (Java clients use transactions v2 at
 * level 2). As Kafka's: level 0 is not listed as finalized, and before v4 a
 * feature whose range starts at 0 is left out of the supported ones (older
 * clients fail to read it, KAFKA-17492).
 */
export function apiVersions(ctx: HandlerContext, meta: RequestMeta): ResponseInput<typeof ApiKeys.ApiVersions> {
  const answer = { errorCode: 0, apiKeys: ctx.apis.map((a) => ({ ...a })), throttleTimeMs: 0 };
  if (meta.apiVersion < 3) return answer;
  const level = ctx.broker.transactions.coordinator.version;
  return {
    ...answer,
    supportedFeatures: meta.apiVersion >= 4 ? [TRANSACTION_VERSION] : [],
    finalizedFeaturesEpoch: ctx.broker.featuresEpoch,
    finalizedFeatures: level > 0 ? [{ name: TRANSACTION_VERSION.name, maxVersionLevel: level, minVersionLevel: level }] : [],
  };
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
