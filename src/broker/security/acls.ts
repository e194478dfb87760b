// Kafka's authorization model as data: resource types, operations,
// permissions and pattern types by name (with Kafka's wire codes), ACL
// bindings, the filters DescribeAcls and DeleteAcls select them with, and
// the checks CreateAcls applies. The names are Kafka's enum constants, so
// handlers read `authorize(p, host, 'READ', 'TOPIC', name)`. UNKNOWN is
// code 0 and also what any code Kafka does not define decodes to, as in
// Kafka's fromCode.
import type { ErrorName } from '../../protocol/kafka/error-codes.js';

export const RESOURCE_TYPE_CODES = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const OPERATION_CODES = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export const PERMISSION_CODES = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export const PATTERN_TYPE_CODES = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

/** What a filter (or a request, before validation) may say. */
export type ResourceTypeFilter = keyof typeof RESOURCE_TYPE_CODES;
export type OperationFilter = keyof typeof OPERATION_CODES;
export type PermissionFilter = keyof typeof PERMISSION_CODES;
export type PatternTypeFilter = keyof typeof PATTERN_TYPE_CODES;

/** What a binding, or an authorization question, may say. */
export type ResourceType = Exclude<ResourceTypeFilter, 'UNKNOWN' | 'ANY'>;
export type AclOperation = Exclude<OperationFilter, 'UNKNOWN' | 'ANY'>;
export type AclPermission = Exclude<PermissionFilter, 'UNKNOWN' | 'ANY'>;
export type PatternType = Exclude<PatternTypeFilter, 'UNKNOWN' | 'ANY' | 'MATCH'>;

/** The name of the one CLUSTER resource (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL resource name, or an ACL host, that matches any. */
export const WILDCARD = '*';
/** The ACL principal that matches any principal. */
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  principal: string;
  host: string;
  operation: AclOperation;
  permission: AclPermission;
}

/** A CreateAcls entry as the client sent it: anything it names is checked before it becomes a binding. */
export interface AclCreation {
  resourceType: ResourceTypeFilter;
  resourceName: string;
  patternType: PatternTypeFilter;
  principal: string;
  host: string;
  operation: OperationFilter;
  permission: PermissionFilter;
}

/** Kafka's AclBindingFilter: null names, principals and hosts, and ANY, match anything. */
export interface AclBindingFilter {
  resourceType: ResourceTypeFilter;
  resourceName: string | null;
  patternType: PatternTypeFilter;
  principal: string | null;
  host: string | null;
  operation: OperationFilter;
  permission: PermissionFilter;
}

export const ANY_ACL: AclBindingFilter = { resourceType: 'ANY', resourceName: null, patternType: 'ANY', principal: null, host: null, operation: 'ANY', permission: 'ANY' };

/** Kafka's fromCode: a code it does not define is UNKNOWN. */
export function nameOfCode<N extends string>(codes: Readonly<Record<N, number>>, code: number): N | 'UNKNOWN' {
  for (const name of Object.keys(codes) as N[]) if (codes[name] === code) return name;
  return 'UNKNOWN';
}

/**
 * The operations that exist on each resource type (Kafka's
 * AclEntry.supportedOperations), in code order: what authorized-operations
 * bitfields are made of. Groups have the config operations since KIP-848's
 * group configs.
 */
export const SUPPORTED_OPERATIONS: Readonly<Record<ResourceType, readonly AclOperation[]>> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DELETE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  CLUSTER: ['CREATE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'],
  TRANSACTIONAL_ID: ['WRITE', 'DESCRIBE'],
  DELEGATION_TOKEN: ['DESCRIBE'],
  USER: ['CREATE_TOKENS', 'DESCRIBE_TOKENS'],
};

/** Kafka's SecurityUtils.parseKafkaPrincipal, stricter: both the type and the name must be there. */
export function isPrincipal(s: string): boolean {
  const colon = s.indexOf(':');
  return colon > 0 && colon < s.length - 1;
}

export interface Refusal {
  error: Extract<ErrorName, 'INVALID_REQUEST'>;
  message: string;
}

/**
 * CreateAcls' checks, in Kafka's order (the broker's AclApis, then the
 * controller's validateNewAcl), plus the principal's form, which Kafka
 * only finds wrong later, when every authorization on the resource type fails.
 */
export function checkCreation(c: AclCreation): AclBinding | Refusal {
  const refuse = (message: string): Refusal => ({ error: 'INVALID_REQUEST', message });
  if (c.resourceType === 'CLUSTER' && c.resourceName !== CLUSTER_NAME) return refuse(`The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`);
  if (c.resourceName === '') return refuse('Invalid empty resource name');
  if (c.resourceType === 'UNKNOWN' || c.resourceType === 'ANY') return refuse(`Invalid resourceType ${c.resourceType}`);
  if (c.patternType !== 'LITERAL' && c.patternType !== 'PREFIXED') return refuse(`Invalid patternType ${c.patternType}`);
  if (c.operation === 'UNKNOWN' || c.operation === 'ANY') return refuse(`Invalid operation ${c.operation}`);
  if (c.permission !== 'ALLOW' && c.permission !== 'DENY') return refuse(`Invalid permissionType ${c.permission}`);
  if (!isPrincipal(c.principal)) return refuse(`Invalid principal: expected a string in format principalType:principalName but got ${c.principal}`);
  return { resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.patternType, principal: c.principal, host: c.host, operation: c.operation, permission: c.permission };
}

/** DeleteAcls' check of a filter (the controller's validateFilter). */
export function checkFilter(f: AclBindingFilter): Refusal | null {
  if (f.resourceType === 'UNKNOWN' || f.patternType === 'UNKNOWN') return { error: 'INVALID_REQUEST', message: 'Unknown patternFilter.' };
  if (f.operation === 'UNKNOWN' || f.permission === 'UNKNOWN') return { error: 'INVALID_REQUEST', message: 'Unknown entryFilter.' };
  return null;
}

/** Kafka's AclBindingFilter.matches. */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== 'ANY' && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== 'ANY' && f.patternType !== 'MATCH' && f.patternType !== b.patternType) return false;
  if (f.resourceName !== null && !nameMatches(f, b)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== 'ANY' && f.operation !== b.operation) return false;
  return f.permission === 'ANY' || f.permission === b.permission;
}

/** ANY and an exact pattern type compare names; MATCH finds the bindings that would apply to that name. */
function nameMatches(f: AclBindingFilter, b: AclBinding): boolean {
  const name = f.resourceName!;
  if (f.patternType !== 'MATCH') return name === b.resourceName;
  return b.patternType === 'LITERAL' ? name === b.resourceName || b.resourceName === WILDCARD : name.startsWith(b.resourceName);
}

/** One string per binding: equal bindings are one ACL. */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission]);
}

/** A stable order: by resource (type code, name, pattern type code), then principal, host, operation and permission. */
export function compareBindings(a: AclBinding, b: AclBinding): number {
  return (
    RESOURCE_TYPE_CODES[a.resourceType] - RESOURCE_TYPE_CODES[b.resourceType] ||
    byCodeUnits(a.resourceName, b.resourceName) ||
    PATTERN_TYPE_CODES[a.patternType] - PATTERN_TYPE_CODES[b.patternType] ||
    byCodeUnits(a.principal, b.principal) ||
    byCodeUnits(a.host, b.host) ||
    OPERATION_CODES[a.operation] - OPERATION_CODES[b.operation] ||
    PERMISSION_CODES[a.permission] - PERMISSION_CODES[b.permission]
  );
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The authorizer.class.name values that name mqlab's authorizer (Kafka's
 * StandardAuthorizer rules; the ZooKeeper-era AclAuthorizer decided the same
 * way). No other class can be loaded.
 */
export const AUTHORIZER_CLASS_NAMES = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer', 'mqlab'] as const;
