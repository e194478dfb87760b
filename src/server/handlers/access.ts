// What the connection's principal may do, as each handler asks it: Kafka's
// operations on Kafka's resources, answered by the broker's authorizer
// (broker/security/authorizer.ts) for this principal and host. With no
// authorizer configured everyone may do everything, as in Kafka.
import { OPERATION_CODES, SUPPORTED_OPERATIONS } from '../../broker/security/acls.js';

export type Operation = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE';
export type Resource = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';

/** The one cluster resource's name in Kafka's ACLs. */
export const CLUSTER = 'kafka-cluster';

export interface Access {
  /** An authorizer is configured: what it does not allow is refused. */
  readonly enforced: boolean;
  can(operation: Operation, resource: Resource, name: string): boolean;
  /** As can(), for deciding what a listing shows: a refusal here is neither counted nor logged (Kafka's logIfDenied=false). */
  shows(operation: Operation, resource: Resource, name: string): boolean;
  /** Whether some ACL would let the principal do `operation` on some resource of this type (Kafka's authorizeByResourceType). */
  canOnSome(operation: Operation, resource: Resource): boolean;
  /** The bitfield of operations (1 << AclOperation code) allowed on the resource: Metadata's and DescribeGroups' authorized operations. */
  operations(resource: Resource, name: string): number;
}

/** Every operation Kafka's ACLs support on the resource (AclEntry.supportedOperations): what a broker without an authorizer grants. */
export function allOperations(resource: Resource): number {
  return SUPPORTED_OPERATIONS[resource].reduce((field, op) => field | (1 << OPERATION_CODES[op]), 0);
}

export const ALLOW_ALL: Access = {
  enforced: false,
  can: () => true,
  shows: () => true,
  canOnSome: () => true,
  operations: allOperations,
};

/** Creating a topic takes CREATE on the cluster or on the topic's name (Kafka's rule, auto-creation included). */
export function mayCreateTopic(access: Access, name: string): boolean {
  // The cluster is asked quietly (Kafka's logIfDenied=false): only the topic's refusal is a denial.
  return access.shows('CREATE', 'CLUSTER', CLUSTER) || access.can('CREATE', 'TOPIC', name);
}
