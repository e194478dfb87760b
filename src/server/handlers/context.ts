// What every API handler works with: the broker, and how this broker names
// itself in Metadata and FindCoordinator answers (one node, id 0, the leader
// of every partition and the coordinator of every group, unless
// mqlab.workers makes it several: ../cluster.ts).
import type { Broker, FetchResult } from '../../broker/broker.js';
import type { Session } from '../../broker/network/session.js';
import type { AclStore } from '../../broker/security/acl-store.js';
import type { Authorizer } from '../../broker/security/authorizer.js';
import type { CredentialStore } from '../../broker/security/credentials.js';
import type { Access } from './access.js';
import type { ClusterView } from '../cluster.js';

export interface HandlerContext {
  broker: Broker;
  nodeId: number;
  /** The nodes and which leads each partition. */
  cluster: ClusterView;
  /** The address clients are told to connect to. */
  host: string;
  port: number;
  clusterId: string;
  /** SCRAM credentials SASL logins are checked against. */
  credentials: CredentialStore;
  /** The ACLs (CreateAcls, DeleteAcls, DescribeAcls), durable in the data directory. */
  acls: AclStore;
  /** Decides by the ACLs; answers yes to everything when no authorizer is configured. */
  authorizer: Authorizer;
  /** The time SASL sessions start and end by (a test's clock, moved by hand); Date.now by default. */
  now: () => number;
  /** What ApiVersions advertises. */
  apis: readonly { apiKey: number; minVersion: number; maxVersion: number }[];
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** mqlab.workers, on a node other than 0: has node 0 answer a request this node does not serve (../forwarding.ts). */
  forward?: (frame: Buffer, clientHost: string) => Promise<Buffer | null>;
  /** mqlab.workers, on node 0: after each request, tells the other nodes of the topic and config changes since `mark()` before it, before it is answered. */
  settle?: { mark(): number; after(mark: number): Promise<void> | null };
}

/** The request header fields a handler may need. */
export interface RequestMeta {
  apiVersion: number;
  clientId: string;
  clientHost: string;
  /** The connection's listener and principal. */
  session: Session;
  /** What that principal may do here (everything when no authorizer is configured). */
  access: Access;
  /** Fetch results the answer carries: given back by the dispatcher if the answer cannot be encoded. */
  fetched?: readonly FetchResult[];
}
