// DescribeAcls, CreateAcls and DeleteAcls: the ACLs the authorizer decides
// by, kept in the broker's ACL store (durable, in the data directory). As in
// Kafka, the caller needs DESCRIBE (to list) or ALTER (to change) on the
// cluster, and without an authorizer configured all three answer
// SECURITY_DISABLED.
import {
  CLUSTER_NAME,
  nameOfCode,
  OPERATION_CODES,
  PATTERN_TYPE_CODES,
  PERMISSION_CODES,
  RESOURCE_TYPE_CODES,
  type AclBinding,
  type AclBindingFilter,
  type AclOperation,
} from '../../broker/security/acls.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { errorMessage } from './error-message.js';

type Body<K extends keyof typeof ApiKeys> = RequestBody<(typeof ApiKeys)[K]>;
type Answer<K extends keyof typeof ApiKeys> = ResponseInput<(typeof ApiKeys)[K]>;

/** Why the whole request is refused (no authorizer, or the caller may not), or null. */
function refusal(ctx: HandlerContext, meta: RequestMeta, operation: AclOperation): { error: ErrorName; message: string } | null {
  if (!ctx.authorizer.enabled) return { error: 'SECURITY_DISABLED', message: 'No Authorizer is configured on the broker' };
  const principal = meta.session.principal;
  if (!ctx.authorizer.authorize(principal, meta.clientHost, operation, 'CLUSTER', CLUSTER_NAME)) {
    return { error: 'CLUSTER_AUTHORIZATION_FAILED', message: `${principal} may not ${operation} the cluster (needed to ${operation === 'DESCRIBE' ? 'list' : 'change'} ACLs)` };
  }
  return null;
}

interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

function filterOf(f: WireFilter): AclBindingFilter {
  return {
    resourceType: nameOfCode(RESOURCE_TYPE_CODES, f.resourceTypeFilter),
    resourceName: f.resourceNameFilter,
    patternType: nameOfCode(PATTERN_TYPE_CODES, f.patternTypeFilter),
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: nameOfCode(OPERATION_CODES, f.operation),
    permission: nameOfCode(PERMISSION_CODES, f.permissionType),
  };
}

const wireEntry = (b: AclBinding) => ({
  principal: b.principal,
  host: b.host,
  operation: OPERATION_CODES[b.operation],
  permissionType: PERMISSION_CODES[b.permission],
});

export function describeAcls(ctx: HandlerContext, req: Body<'DescribeAcls'>, meta: RequestMeta): Answer<'DescribeAcls'> {
  const refused = refusal(ctx, meta, 'DESCRIBE');
  if (refused) return { throttleTimeMs: 0, errorCode: errorCode(refused.error), errorMessage: errorMessage(refused.message), resources: [] };
  const filter = filterOf(req);
  // Kafka refuses UNKNOWN elements when it parses the request (closing the connection); an answer says why.
  if ([filter.resourceType, filter.patternType, filter.operation, filter.permission].includes('UNKNOWN')) return { throttleTimeMs: 0, errorCode: errorCode('INVALID_REQUEST'), errorMessage: 'The filter contains UNKNOWN elements', resources: [] };
  const resources = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: ReturnType<typeof wireEntry>[] }>();
  for (const b of ctx.acls.describe(filter)) {
    const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
    let r = resources.get(key);
    if (!r) resources.set(key, (r = { resourceType: RESOURCE_TYPE_CODES[b.resourceType], resourceName: b.resourceName, patternType: PATTERN_TYPE_CODES[b.patternType], acls: [] }));
    r.acls.push(wireEntry(b));
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...resources.values()] };
}

export function createAcls(ctx: HandlerContext, req: Body<'CreateAcls'>, meta: RequestMeta): Answer<'CreateAcls'> {
  const all = (error: ErrorName, message: string) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: errorCode(error), errorMessage: errorMessage(message) })) });
  const refused = refusal(ctx, meta, 'ALTER');
  if (refused) return all(refused.error, refused.message);
  try {
    const results = ctx.acls.create(
      req.creations.map((c) => ({
        resourceType: nameOfCode(RESOURCE_TYPE_CODES, c.resourceType),
        resourceName: c.resourceName,
        patternType: nameOfCode(PATTERN_TYPE_CODES, c.resourcePatternType),
        principal: c.principal,
        host: c.host,
        operation: nameOfCode(OPERATION_CODES, c.operation),
        permission: nameOfCode(PERMISSION_CODES, c.permissionType),
      })),
    );
    return { throttleTimeMs: 0, results: results.map((r) => ({ errorCode: errorCode(r.error), errorMessage: errorMessage(r.message) })) };
  } catch (err) {
    // The store could not be written: no ACL of the request was added.
    ctx.log('error', `CreateAcls: ${(err as Error).message}`);
    return all('KAFKA_STORAGE_ERROR', `the ACL store could not be written: ${(err as Error).message}`);
  }
}

export function deleteAcls(ctx: HandlerContext, req: Body<'DeleteAcls'>, meta: RequestMeta): Answer<'DeleteAcls'> {
  const all = (error: ErrorName, message: string) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: errorCode(error), errorMessage: errorMessage(message), matchingAcls: [] })) });
  const refused = refusal(ctx, meta, 'ALTER');
  if (refused) return all(refused.error, refused.message);
  try {
    const results = ctx.acls.delete(req.filters.map(filterOf));
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) => ({
        errorCode: errorCode(r.error),
        errorMessage: errorMessage(r.message),
        matchingAcls: r.deleted.map((b) => ({
          errorCode: 0,
          errorMessage: null,
          resourceType: RESOURCE_TYPE_CODES[b.resourceType],
          resourceName: b.resourceName,
          patternType: PATTERN_TYPE_CODES[b.patternType],
          ...wireEntry(b),
        })),
      })),
    };
  } catch (err) {
    // The store could not be written: no ACL was removed.
    ctx.log('error', `DeleteAcls: ${(err as Error).message}`);
    return all('KAFKA_STORAGE_ERROR', `the ACL store could not be written: ${(err as Error).message}`);
  }
}
