// One consumer group's membership state machine, as Kafka's GroupCoordinator
// runs it (static membership is not implemented):
//
//   Empty --join--> PreparingRebalance --all members joined, or the
//   rebalance timeout--> CompletingRebalance --leader's SyncGroup--> Stable
//   Stable --join / leave / session expiry--> PreparingRebalance
//   any --last member gone--> Empty
//
// JoinGroup responses wait until every known member has rejoined (members
// that do not, within the rebalance timeout, are removed). SyncGroup
// responses wait for the leader's assignment.
import { randomUUID } from 'node:crypto';

/** At most this much of the client id goes into a member id (3 bytes a character at most in UTF-8). */
export const MEMBER_ID_CLIENT_CHARS = 200;

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface Member {
  memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  sessionTimer?: NodeJS.Timeout;
  joinWaiter?: (r: JoinResult) => void;
  syncWaiter?: (r: SyncResult) => void;
}

export interface JoinResult {
  error: string; // Kafka error name, 'NONE' on success
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; metadata: Buffer }[];
}

export interface SyncResult {
  error: string;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  private joined = new Set<string>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  // The first rebalance of an empty group waits this long for more members
  // (Kafka's group.initial.rebalance.delay.ms), so they share one generation.
  private joinNotBeforeMs = 0;

  constructor(readonly groupId: string, private readonly initialRebalanceDelayMs: number) {}

  /**
   * Kafka's form, client id then a UUID, with the client id cut short: a
   * client id may take 32,767 bytes, and the id must still fit in the
   * strings of the responses that carry it.
   */
  newMemberId(clientId: string): string {
    let prefix = clientId;
    if (prefix.length > MEMBER_ID_CLIENT_CHARS) {
      // Not between the halves of a surrogate pair: the client would get U+FFFD back, and its id would not match.
      const high = prefix.charCodeAt(MEMBER_ID_CLIENT_CHARS - 1);
      prefix = prefix.slice(0, high >= 0xd800 && high <= 0xdbff ? MEMBER_ID_CLIENT_CHARS - 1 : MEMBER_ID_CLIENT_CHARS);
    }
    return `${prefix || 'member'}-${randomUUID()}`;
  }

  /** Adds or updates a member and (re)starts a rebalance; resolves when the join completes. */
  join(m: Omit<Member, 'assignment'>): Promise<JoinResult> {
    const existing = this.members.get(m.memberId);
    const member: Member = existing ? Object.assign(existing, m) : { ...m, assignment: Buffer.alloc(0) };
    this.members.set(m.memberId, member);
    // While its join is pending a member cannot heartbeat; Kafka suspends its
    // session until the join response goes out (the rebalance timeout rules).
    clearTimeout(member.sessionTimer);
    const result = new Promise<JoinResult>((resolve) => {
      member.joinWaiter?.(this.joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
      member.joinWaiter = resolve;
    });
    this.joined.add(member.memberId);
    if (this.state !== 'PreparingRebalance') this.prepareRebalance(existing === undefined && this.state === 'Empty' ? this.initialRebalanceDelayMs : 0);
    else this.maybeCompleteJoin();
    return result;
  }

  sync(memberId: string, generationId: number, assignments: Map<string, Buffer> | null): Promise<SyncResult> | SyncResult {
    const member = this.members.get(memberId);
    if (!member) return this.syncError('UNKNOWN_MEMBER_ID');
    if (generationId !== this.generationId) return this.syncError('ILLEGAL_GENERATION');
    if (this.state === 'PreparingRebalance') return this.syncError('REBALANCE_IN_PROGRESS');
    this.touch(member);
    if (this.state === 'Stable') return this.syncOk(member.assignment);
    // CompletingRebalance: the leader's assignment completes everyone's sync.
    const result = new Promise<SyncResult>((resolve) => (member.syncWaiter = resolve));
    if (memberId === this.leaderId && assignments) {
      for (const [id, m] of this.members) m.assignment = assignments.get(id) ?? Buffer.alloc(0);
      this.state = 'Stable';
      for (const m of this.members.values()) {
        const w = m.syncWaiter;
        m.syncWaiter = undefined;
        w?.(this.syncOk(m.assignment));
      }
    }
    return result;
  }

  heartbeat(memberId: string, generationId: number): string {
    const member = this.members.get(memberId);
    if (!member) return 'UNKNOWN_MEMBER_ID';
    if (generationId !== this.generationId) return 'ILLEGAL_GENERATION';
    this.touch(member);
    if (this.state === 'PreparingRebalance') return 'REBALANCE_IN_PROGRESS';
    return 'NONE';
  }

  leave(memberId: string): string {
    const member = this.members.get(memberId);
    if (!member) return 'UNKNOWN_MEMBER_ID';
    this.remove(member);
    return 'NONE';
  }

  /** Stops timers (broker shutdown). */
  shutdown(): void {
    clearTimeout(this.rebalanceTimer);
    for (const m of this.members.values()) clearTimeout(m.sessionTimer);
  }

  private touch(m: Member): void {
    clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => this.remove(m), m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  /** Removes a member and moves the group on (rebalance, or Empty). */
  private remove(m: Member): void {
    if (!this.detach(m)) return;
    if (this.members.size === 0) {
      clearTimeout(this.rebalanceTimer);
      this.state = 'Empty';
      this.generationId++;
      this.protocolName = null;
      this.joined.clear();
    } else if (this.state === 'PreparingRebalance') {
      this.maybeCompleteJoin();
    } else {
      this.prepareRebalance(0);
    }
  }

  /** Takes a member out, failing its pending join or sync; no state change. */
  private detach(m: Member): boolean {
    if (this.members.get(m.memberId) !== m) return false;
    clearTimeout(m.sessionTimer);
    this.members.delete(m.memberId);
    this.joined.delete(m.memberId);
    m.joinWaiter?.(this.joinError(m.memberId, 'UNKNOWN_MEMBER_ID'));
    m.syncWaiter?.(this.syncError('UNKNOWN_MEMBER_ID'));
    m.joinWaiter = m.syncWaiter = undefined;
    if (this.leaderId === m.memberId) this.leaderId = null;
    return true;
  }

  private prepareRebalance(delayMs: number): void {
    this.state = 'PreparingRebalance';
    // Members waiting on a sync of the old generation must rejoin.
    for (const m of this.members.values()) {
      const w = m.syncWaiter;
      m.syncWaiter = undefined;
      w?.(this.syncError('REBALANCE_IN_PROGRESS'));
    }
    const timeoutMs = Math.max(delayMs, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = setTimeout(() => this.completeJoin(true), timeoutMs);
    this.rebalanceTimer.unref();
    this.joinNotBeforeMs = Date.now() + delayMs;
    if (delayMs === 0) this.maybeCompleteJoin();
    else setTimeout(() => this.maybeCompleteJoin(), delayMs).unref();
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || Date.now() < this.joinNotBeforeMs) return;
    for (const id of this.members.keys()) if (!this.joined.has(id)) return;
    this.completeJoin(false);
  }

  /** Ends the join phase: drops members that did not rejoin, picks a protocol and a leader. */
  private completeJoin(timedOut: boolean): void {
    if (this.state !== 'PreparingRebalance') return;
    if (timedOut) for (const m of [...this.members.values()]) if (!this.joined.has(m.memberId)) this.detach(m);
    if (this.members.size === 0) {
      this.state = 'Empty';
      return;
    }
    clearTimeout(this.rebalanceTimer);
    this.generationId++;
    const members = [...this.members.values()];
    this.protocolType = members[0]!.protocolType;
    this.protocolName = this.chooseProtocol(members);
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = members[0]!.memberId;
    this.state = 'CompletingRebalance';
    this.joined = new Set();
    for (const m of members) {
      this.touch(m);
      const w = m.joinWaiter;
      m.joinWaiter = undefined;
      w?.({
        error: 'NONE',
        generationId: this.generationId,
        protocolType: this.protocolType,
        protocolName: this.protocolName,
        leader: this.leaderId,
        memberId: m.memberId,
        members: m.memberId === this.leaderId ? members.map((x) => ({ memberId: x.memberId, metadata: x.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0) })) : [],
      });
    }
  }

  /** The protocol every member supports that ranks best in the members' preference order. */
  private chooseProtocol(members: Member[]): string | null {
    const common = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    if (common.length === 0) return null;
    const score = (name: string): number => members.reduce((s, m) => s + m.protocols.findIndex((p) => p.name === name), 0);
    return common.reduce((best, name) => (score(name) < score(best) ? name : best));
  }

  /** Whether a joining member's protocols fit the group's (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  accepts(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocols.length > 0;
    if (protocolType !== this.protocolType && this.protocolType !== null) return false;
    return protocols.some((p) => [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  joinError(memberId: string, error: string): JoinResult {
    return { error, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
  }

  private syncError(error: string): SyncResult {
    return { error, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  }

  private syncOk(assignment: Buffer): SyncResult {
    return { error: 'NONE', protocolType: this.protocolType, protocolName: this.protocolName, assignment };
  }
}
