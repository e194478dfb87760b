// Whether a principal may do an operation on a resource, by Kafka's
// StandardAuthorizer rules: super users may do anything; otherwise the ACLs
// whose pattern covers the resource decide, a matching DENY over any
// ALLOW; a resource no ACL covers at all is decided by
// allow.everyone.if.no.acl.found. Without an authorizer configured every
// question is answered yes, as a Kafka broker without one does, so
// handlers ask unconditionally.
import type { AclStore } from './acl-store.js';
import { AUTHORIZER_CLASS_NAMES, isPrincipal, OPERATION_CODES, SUPPORTED_OPERATIONS, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding, type AclOperation, type ResourceType } from './acls.js';

export interface AuthorizerSettings {
  /** authorizer.class.name names mqlab's authorizer. */
  enabled: boolean;
  /** super.users: principals ("User:admin") allowed everything. */
  superUsers: readonly string[];
  /** allow.everyone.if.no.acl.found: the answer for a resource no ACL covers. */
  allowEveryoneIfNoAclFound: boolean;
}

export type DeniedHook = (principal: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string) => void;

/** The authorizer's settings from the broker configs; throws on a class that is not mqlab's authorizer. */
export function authorizerSettings(config: (name: string) => string): AuthorizerSettings {
  const className = config('authorizer.class.name').trim();
  const badClass = checkAuthorizerClassName(className);
  if (badClass) throw new Error(`authorizer.class.name=${className}: ${badClass}`);
  const badUsers = checkSuperUsers(config('super.users'));
  if (badUsers) throw new Error(`super.users=${config('super.users')}: ${badUsers}`);
  return {
    enabled: className !== '',
    superUsers: principalList(config('super.users')),
    allowEveryoneIfNoAclFound: config('allow.everyone.if.no.acl.found').trim().toLowerCase() === 'true',
  };
}

export function checkAuthorizerClassName(v: string): string | null {
  const name = v.trim();
  if (name === '' || (AUTHORIZER_CLASS_NAMES as readonly string[]).includes(name)) return null;
  return `mqlab cannot load Java classes; its own authorizer (StandardAuthorizer's rules) is named ${AUTHORIZER_CLASS_NAMES.join(', ')}, or leave it empty for none`;
}

/** super.users: principals separated by ';' (Kafka's format), each Type:name. */
export function checkSuperUsers(v: string): string | null {
  const bad = principalList(v).find((p) => !isPrincipal(p));
  return bad === undefined ? null : `"${bad}" is not a principal (Type:name, e.g. User:admin; several separated by ';')`;
}

const principalList = (v: string): string[] => v.split(';').map((p) => p.trim()).filter((p) => p !== '');

/** The operations a DESCRIBE or DESCRIBE_CONFIGS ALLOW is implied by (Kafka: ALLOW only; a DENY READ denies no DESCRIBE). */
const IMPLIES_DESCRIBE: readonly AclOperation[] = ['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER'];
const IMPLIES_DESCRIBE_CONFIGS: readonly AclOperation[] = ['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'];

export class Authorizer {
  readonly enabled: boolean;
  /** Denied requests, by resource type (those authorize() was asked to report). */
  readonly denials: Record<ResourceType, number> = { TOPIC: 0, GROUP: 0, CLUSTER: 0, TRANSACTIONAL_ID: 0, DELEGATION_TOKEN: 0, USER: 0 };
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowIfNoAcl: boolean;

  constructor(
    private readonly acls: AclStore,
    settings: AuthorizerSettings,
    /** Hears each reported denial (the broker logs them, rate-limited). */
    public onDenied: DeniedHook | null = null,
  ) {
    this.enabled = settings.enabled;
    this.superUsers = new Set(settings.superUsers);
    this.allowIfNoAcl = settings.allowEveryoneIfNoAclFound;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /**
   * May `principal`, connected from `host`, do `operation` on the resource?
   * `logIfDenied` false (Kafka's Action.logIfDenied) for questions that only
   * filter what is shown, such as which topics a Metadata for all lists:
   * those denials are neither counted nor reported.
   */
  authorize(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string, logIfDenied = true): boolean {
    if (!this.enabled || this.superUsers.has(principal)) return true;
    const address = hostAddress(host);
    const allowed = this.decide(principal, address, operation, resourceType, resourceName);
    if (!allowed && logIfDenied) {
      this.denials[resourceType]++;
      this.onDenied?.(principal, address, operation, resourceType, resourceName);
    }
    return allowed;
  }

  /**
   * The authorized-operations bitfield of Metadata, DescribeCluster and
   * DescribeGroups: bit c set for each operation (code c) the principal may
   * do, over the operations the resource type has. Every one without an
   * authorizer, as Kafka answers.
   */
  authorizedOperations(principal: string, host: string, resourceType: ResourceType, resourceName: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS[resourceType]) {
      if (this.authorize(principal, host, op, resourceType, resourceName, false)) bits |= 1 << OPERATION_CODES[op];
    }
    return bits;
  }

  /**
   * May the principal do the operation on some resource of the type (Kafka's
   * Authorizer.authorizeByResourceType, e.g. WRITE on any topic lets a
   * producer be idempotent): an ALLOW for it on some name not wholly covered
   * by a DENY. Implied operations do not count here, as in Kafka.
   */
  authorizeByResourceType(principal: string, host: string, operation: AclOperation, resourceType: ResourceType): boolean {
    // Kafka asks for a made-up name first, so super users and allow.everyone.if.no.acl.found pass whatever the ACLs say.
    if (this.authorize(principal, host, operation, resourceType, 'hardcode', false)) return true;
    const address = hostAddress(host);
    const deny = { literal: new Set<string>(), prefixed: new Set<string>() };
    const allow = { literal: new Set<string>(), prefixed: new Set<string>() };
    let wildcardAllow = false;
    for (const b of this.acls.ofType(resourceType)) {
      if (!hostMatches(b, address) || !principalMatches(b, principal)) continue;
      if (b.operation !== operation && b.operation !== 'ALL') continue;
      const literal = b.patternType === 'LITERAL';
      if (b.permission === 'DENY') {
        if (literal && b.resourceName === WILDCARD) return false;
        (literal ? deny.literal : deny.prefixed).add(b.resourceName);
      } else if (literal && b.resourceName === WILDCARD) wildcardAllow = true;
      else (literal ? allow.literal : allow.prefixed).add(b.resourceName);
    }
    if (wildcardAllow) return true;
    const deniedByPrefix = (name: string): boolean => [...deny.prefixed].some((p) => name.startsWith(p));
    for (const name of allow.literal) if (!deny.literal.has(name) && !deniedByPrefix(name)) return true;
    for (const name of allow.prefixed) if (!deniedByPrefix(name)) return true;
    return false;
  }

  private decide(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    const acls = this.acls.applying(resourceType, resourceName);
    if (acls.length === 0) return this.allowIfNoAcl;
    let allowed = false;
    for (const acl of acls) {
      if (!principalMatches(acl, principal) || !hostMatches(acl, host) || !operationMatches(acl, operation)) continue;
      if (acl.permission === 'DENY') return false;
      allowed = true;
    }
    return allowed;
  }
}

function principalMatches(acl: AclBinding, principal: string): boolean {
  return acl.principal === principal || acl.principal === WILDCARD_PRINCIPAL;
}

function hostMatches(acl: AclBinding, host: string): boolean {
  return acl.host === WILDCARD || acl.host === host;
}

function operationMatches(acl: AclBinding, operation: AclOperation): boolean {
  if (acl.operation === 'ALL' || acl.operation === operation) return true;
  if (acl.permission === 'DENY') return false;
  if (operation === 'DESCRIBE') return IMPLIES_DESCRIBE.includes(acl.operation);
  if (operation === 'DESCRIBE_CONFIGS') return IMPLIES_DESCRIBE_CONFIGS.includes(acl.operation);
  return false;
}

/** An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; Kafka (Java's InetAddress) sees a.b.c.d, which is what ACLs name. */
function hostAddress(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}
