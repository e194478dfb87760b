// The admin calls the CLI makes, in Kafka's terms, over one connection.
import { errorCode, errorName } from '../protocol/kafka/index.js';
import { decodeAssignment } from './consumer-protocol.js';
import type { ClientSecurity } from './security.js';
import { KafkaConnection, parseBootstrap } from './connection.js';

/** A partition's producer as DescribeProducers answers it (currentTxnStartOffset -1 outside a transaction). */
export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  currentTxnStartOffset: bigint;
}

export class AdminError extends Error {}

/** Throws with Kafka's error name and the broker's message when `code` is not 0. */
export function check(code: number, what: string, message?: string | null): void {
  if (code !== 0) throw new AdminError(`${what}: ${errorName(code)}${message ? ` (${message})` : ''}`);
}

export interface TopicDescription {
  name: string;
  partitions: number;
  internal: boolean;
}

export class Admin {
  private constructor(readonly conn: KafkaConnection, readonly host: string, readonly port: number) {}

  static async connect(bootstrap: string, security?: ClientSecurity): Promise<Admin> {
    const { host, port } = parseBootstrap(bootstrap);
    return new Admin(await KafkaConnection.open(host, port, 'mqlab-admin', security), host, port);
  }

  close(): void {
    this.conn.close();
  }

  async listTopics(): Promise<TopicDescription[]> {
    const r = await this.conn.request(3, 4, { topics: null, allowAutoTopicCreation: false });
    return r.topics.map((t) => ({ name: t.name ?? '', partitions: t.partitions.length, internal: t.isInternal })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The topic's partition count; auto-created if asked and the broker allows. */
  async partitions(topic: string, autoCreate = false): Promise<number> {
    const r = await this.conn.request(3, 4, { topics: [{ name: topic }], allowAutoTopicCreation: autoCreate });
    const t = r.topics[0]!;
    check(t.errorCode, `topic ${topic}`);
    return t.partitions.length;
  }

  /** Each partition's leader and its address (mqlab.workers: a node per worker thread). */
  async leaders(topic: string): Promise<Map<number, { nodeId: number; host: string; port: number }>> {
    const r = await this.conn.request(3, 4, { topics: [{ name: topic }], allowAutoTopicCreation: false });
    const t = r.topics[0]!;
    check(t.errorCode, `topic ${topic}`);
    const nodes = new Map(r.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]));
    return new Map(t.partitions.map((p) => [p.partitionIndex, nodes.get(p.leaderId) ?? { nodeId: p.leaderId, host: '', port: -1 }]));
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const r = await this.conn.request(19, 3, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    check(r.topics[0]!.errorCode, `creating ${name}`, r.topics[0]!.errorMessage);
  }

  async deleteTopic(name: string): Promise<void> {
    const r = await this.conn.request(20, 3, { topicNames: [name], timeoutMs: 30_000 });
    check(r.responses[0]!.errorCode, `deleting ${name}`);
  }

  /** Configs of the broker (no resource), a topic or a consumer group. */
  async describeConfigs(resource?: ConfigResource): Promise<{ name: string; value: string | null; readOnly: boolean; source: number }[]> {
    const r = await this.conn.request(32, 2, { resources: [{ ...resourceOf(resource), configurationKeys: null }] });
    const res = r.results[0]!;
    check(res.errorCode, `describing configs`, res.errorMessage);
    return res.configs.map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, source: c.configSource }));
  }

  /** IncrementalAlterConfigs: set (value) or delete (null) each. */
  async alterConfigs(changes: Record<string, string | null>, resource?: ConfigResource): Promise<void> {
    const r = await this.conn.request(44, 1, {
      resources: [{ ...resourceOf(resource), configs: Object.entries(changes).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
      validateOnly: false,
    });
    check(r.responses[0]!.errorCode, `altering configs`, r.responses[0]!.errorMessage);
  }

  async listGroups(): Promise<{ groupId: string; protocolType: string }[]> {
    const r = await this.conn.request(16, 2, {});
    check(r.errorCode, 'listing groups');
    return r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
  }

  /**
   * A group of either protocol, as Kafka's admin client asks: ConsumerGroupDescribe
   * first (KIP-848 consumer groups), DescribeGroups when that answers
   * GROUP_ID_NOT_FOUND (a classic group, or none). Each member's partitions by topic.
   */
  async describeGroup(groupId: string): Promise<{ state: string; members: { memberId: string; clientId: string; clientHost: string; partitions: Map<string, number[]> }[] }> {
    const c = (await this.conn.request(69, 0, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0]!;
    if (c.errorCode !== errorCode('GROUP_ID_NOT_FOUND')) {
      check(c.errorCode, `describing group ${groupId}`, c.errorMessage);
      const partitions = (a: typeof c.members[number]['assignment']) => new Map(a.topicPartitions.map((t) => [t.topicName, t.partitions]));
      return { state: c.groupState, members: c.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, partitions: partitions(m.assignment) })) };
    }
    const r = await this.conn.request(15, 2, { groups: [groupId] });
    const g = r.groups[0]!;
    check(g.errorCode, `describing group ${groupId}`);
    return { state: g.groupState, members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, partitions: decodeAssignment(m.memberAssignment) })) };
  }

  /** Every committed offset of the group: topic → partition → offset. */
  async groupOffsets(groupId: string): Promise<Map<string, Map<number, bigint>>> {
    const r = await this.conn.request(9, 4, { groupId, topics: null });
    check(r.errorCode, `offsets of group ${groupId}`);
    const out = new Map<string, Map<number, bigint>>();
    for (const t of r.topics) for (const p of t.partitions) if (p.committedOffset >= 0n) (out.get(t.name) ?? out.set(t.name, new Map()).get(t.name)!).set(p.partitionIndex, p.committedOffset);
    return out;
  }

  /** ListOffsets: -1 latest, -2 earliest, else the first offset at or after the time. */
  async offsets(topic: string, partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const r = await this.conn.request(2, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
    const out = new Map<number, bigint>();
    for (const p of r.topics[0]?.partitions ?? []) {
      check(p.errorCode, `offsets of ${topic}-${p.partitionIndex}`);
      out.set(p.partitionIndex, p.offset);
    }
    return out;
  }

  /** DescribeProducers: each partition's active producers, by id. */
  async describeProducers(topic: string, partitions: readonly number[]): Promise<Map<number, ActiveProducer[]>> {
    const r = await this.conn.request(61, 0, { topics: [{ name: topic, partitionIndexes: [...partitions] }] });
    const out = new Map<number, ActiveProducer[]>();
    for (const p of r.topics[0]?.partitions ?? []) {
      check(p.errorCode, `producers of ${topic}-${p.partitionIndex}`, p.errorMessage);
      out.set(p.partitionIndex, p.activeProducers.map((a: ActiveProducer) => ({ producerId: a.producerId, producerEpoch: a.producerEpoch, lastSequence: a.lastSequence, lastTimestamp: a.lastTimestamp, currentTxnStartOffset: a.currentTxnStartOffset })));
    }
    return out;
  }

  /** DescribeUserScramCredentials: every user (null) or these; users without credentials are left out. */
  async describeUsers(names: string[] | null): Promise<{ user: string; credentials: { mechanism: number; iterations: number }[] }[]> {
    const r = await this.conn.request(50, 0, { users: names === null ? null : names.map((name) => ({ name })) });
    check(r.errorCode, 'describing users', r.errorMessage);
    return r.results
      .filter((u) => u.errorCode !== errorCode('RESOURCE_NOT_FOUND'))
      .map((u) => {
        check(u.errorCode, `user ${u.user}`, u.errorMessage);
        return { user: u.user, credentials: u.credentialInfos.map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })) };
      });
  }

  /** AlterUserScramCredentials; throws on the first user refused. */
  async alterUsers(deletions: { name: string; mechanism: number }[], upsertions: { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[]): Promise<void> {
    const r = await this.conn.request(51, 0, { deletions, upsertions });
    for (const u of r.results) check(u.errorCode, `user ${u.user}`, u.errorMessage);
  }

  /** CreateAcls (v3): throws on the first binding refused. */
  async createAcls(bindings: { resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permissionType: number }[]): Promise<void> {
    const r = await this.conn.request(30, 3, { creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })) });
    for (const x of r.results) check(x.errorCode, 'creating an ACL', x.errorMessage);
  }

  /** DescribeAcls (v3): the bindings matching the filter, by resource. */
  async describeAcls(f: AclFilter): Promise<{ resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }[]> {
    const r = await this.conn.request(29, 3, { resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType });
    check(r.errorCode, 'describing ACLs', r.errorMessage);
    return r.resources.map((x) => ({ resourceType: x.resourceType, resourceName: x.resourceName, patternType: x.patternType, acls: x.acls.map((a) => ({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })) }));
  }

  /** DeleteAcls (v3): the bindings each filter removed, all together; throws on the first filter refused. */
  async deleteAcls(filters: AclFilter[]): Promise<{ resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permissionType: number }[]> {
    const r = await this.conn.request(31, 3, {
      filters: filters.map((f) => ({ resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType })),
    });
    const out = [];
    for (const fr of r.filterResults) {
      check(fr.errorCode, 'deleting ACLs', fr.errorMessage);
      for (const m of fr.matchingAcls) {
        check(m.errorCode, 'deleting an ACL', m.errorMessage);
        out.push({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType });
      }
    }
    return out;
  }
}

/** An ACL filter as DescribeAcls and DeleteAcls take it: null matches any name, principal or host; 1 (ANY) any type, pattern, operation or permission. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}


/** What a config call is about: a topic or a consumer group; none is the broker. */
export type ConfigResource = { topic: string } | { group: string };

function resourceOf(r: ConfigResource | undefined): { resourceType: number; resourceName: string } {
  if (!r) return { resourceType: 4, resourceName: '0' };
  return 'topic' in r ? { resourceType: 2, resourceName: r.topic } : { resourceType: 32, resourceName: r.group };
}
