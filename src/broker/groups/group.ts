// One consumer group's membership state machine, as Kafka's GroupCoordinator
// runs it for the classic protocol:
//
//   Empty --join--> PreparingRebalance --all members joined, or the
//   rebalance timeout--> CompletingRebalance --leader's SyncGroup--> Stable
//   Stable --join / leave / session expiry--> PreparingRebalance
//   any --last member gone--> Empty
//
// JoinGroup responses wait until every known member has rejoined (dynamic
// members that do not, within the rebalance timeout, are removed; static ones
// stay until their session times out). SyncGroup responses wait for the
// leader's assignment.
//
// The first rebalance of an empty group is Kafka's InitialDelayedJoin: the
// JoinGroup responses wait group.initial.rebalance.delay.ms, and again (up to
// the rebalance timeout) while new members keep arriving, so consumers
// started together share the first generation instead of rebalancing once
// per arrival. The delay holds only the join: once SyncGroup has answered,
// nothing in the group stands between a member and its records.
//
// Static membership (KIP-345): a member with a group instance id keeps its
// place across restarts. Coming back with an empty member id it takes over
// the member holding its instance id, which is fenced (FENCED_INSTANCE_ID on
// its next join, sync, heartbeat, commit or leave); a stable group whose
// selected protocol it leaves unchanged does not rebalance.
import type { Cancel, GroupClock } from './clock.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import { differs, joinAnswer, joinError, metadataFor, sameProtocols, selectProtocol, syncAnswer, syncError, update, type JoinResult, type Member, type Protocol, type SyncResult } from './members.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Group instance id -> the member id holding it. */
  private readonly staticMembers = new Map<string, string>();
  private joined = new Set<string>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED, each until it joins or its session timeout passes. */
  private readonly pending = new Map<string, Cancel>();
  /** The join phase's timer: the rebalance timeout, or a step of the initial delay. */
  private cancelRebalance: Cancel | undefined;
  /** While the initial delay runs: what is left of the rebalance timeout, and whether anyone new came. */
  private initialDelay: { remainingMs: number; newMemberAdded: boolean } | null = null;

  constructor(
    readonly groupId: string,
    private readonly initialRebalanceDelayMs: number,
    private readonly clock: GroupClock,
    /** Told when the group may have become idle (see `idle`): the coordinator may then drop it. */
    private readonly onIdle: () => void = () => {},
  ) {}

  /** Empty, without members or pending member ids: nothing here but what a new group would have. */
  get idle(): boolean {
    return this.state === 'Empty' && this.members.size === 0 && this.pending.size === 0;
  }

  /** A member id handed out with MEMBER_ID_REQUIRED, to join with within the session timeout (Kafka's pending members). */
  addPending(memberId: string, sessionTimeoutMs: number): void {
    this.pending.get(memberId)?.();
    this.pending.set(memberId, this.clock.after(sessionTimeoutMs, () => {
      this.pending.delete(memberId);
      this.maybeCompleteJoin();
      this.onIdle();
    }));
  }

  isPending(memberId: string): boolean {
    return this.pending.has(memberId);
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /**
   * Who may act as a member (Kafka's validateMember): given an instance id,
   * only the member id now holding it; a former holder is fenced.
   */
  validateMember(memberId: string, groupInstanceId: string | null): ErrorName | null {
    if (groupInstanceId !== null) {
      const holder = this.staticMembers.get(groupInstanceId);
      if (holder === undefined) return 'UNKNOWN_MEMBER_ID';
      if (holder !== memberId) return 'FENCED_INSTANCE_ID';
    }
    return this.members.has(memberId) ? null : 'UNKNOWN_MEMBER_ID';
  }

  /**
   * Who may commit offsets, and when (Kafka's ClassicGroup.validateOffsetCommit):
   * generation < 0 on an empty group is an admin or a consumer outside any
   * group; otherwise a member of this generation, refused only while the
   * group completes a rebalance (commits made while it prepares one, in
   * onPartitionsRevoked, must succeed).
   */
  validateCommit(memberId: string, groupInstanceId: string | null, generationId: number, transactional = false): ErrorName | null {
    if (generationId < 0 && this.state === 'Empty') return null;
    const named = generationId >= 0 || memberId !== '' || groupInstanceId !== null;
    // TxnOffsetCommit's member fields are optional (v0-2 have none): checked only when given, as Kafka's.
    if (transactional && !named) return null;
    if (named) {
      const error = this.validateMember(memberId, groupInstanceId);
      if (error) return error;
      if (generationId !== this.generationId) return 'ILLEGAL_GENERATION';
    } else if (this.state !== 'Empty') {
      return 'UNKNOWN_MEMBER_ID'; // a group with members takes commits from them only
    }
    // The group's state is not enforced for transactional commits (Kafka's ClassicGroup.validateOffsetCommit).
    return this.state === 'CompletingRebalance' && !transactional ? 'REBALANCE_IN_PROGRESS' : null;
  }

  /** Adds or updates a member and (re)starts a rebalance; resolves when the join completes. */
  join(m: Omit<Member, 'assignment'>): Promise<JoinResult> {
    const existing = this.members.get(m.memberId);
    const unchanged = existing !== undefined && sameProtocols(existing.protocols, m.protocols);
    if (existing && unchanged && (this.state === 'CompletingRebalance' || (this.state === 'Stable' && m.memberId !== this.leaderId))) {
      // A follower rejoining unchanged cannot change the assignment, nor can
      // anyone while the leader assigns (its join answer may have been lost):
      // Kafka answers with the current generation, the leader with the members.
      update(existing, m);
      this.touch(existing);
      return Promise.resolve(this.joinOk(existing, this.leaderId!, false));
    }
    this.pending.get(m.memberId)?.();
    this.pending.delete(m.memberId);
    let member = existing;
    if (member) update(member, m);
    else this.add((member = { ...m, assignment: Buffer.alloc(0) }));
    return this.awaitJoin(member, existing === undefined);
  }

  /** The one place a member and its instance id come in (detach is where they go out). */
  private add(member: Member): void {
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /**
   * A static member back with a new member id (it restarted): it takes the
   * place, assignment and leadership of the member holding its instance id.
   * Kafka's rules: in a Stable group whose selected protocol stays the same
   * it is answered at once with the current generation (a v9+ leader gets
   * the members and SkipAssignment; an older one is told the old leader id,
   * so that it does not assign); otherwise the group rebalances.
   */
  rejoinStatic(m: Omit<Member, 'assignment'> & { groupInstanceId: string }, supportSkippingAssignment: boolean): Promise<JoinResult> {
    const oldId = this.staticMembers.get(m.groupInstanceId);
    const old = oldId === undefined ? undefined : this.members.get(oldId);
    if (oldId === undefined || old === undefined || old.groupInstanceId !== m.groupInstanceId) {
      // Nobody holds the instance id (cannot happen while add and detach keep the map): a new static member.
      this.staticMembers.delete(m.groupInstanceId);
      return this.join(m);
    }
    old.joinWaiter?.(joinError(oldId, 'FENCED_INSTANCE_ID'));
    old.syncWaiter?.(syncError('FENCED_INSTANCE_ID'));
    old.joinWaiter = old.syncWaiter = undefined;
    this.members.delete(oldId);
    this.joined.delete(oldId);
    // The same member object under its new id: its assignment, session and place stay.
    const member = old;
    member.memberId = m.memberId;
    update(member, m);
    this.add(member);
    const oldLeader = this.leaderId;
    if (oldLeader === oldId) this.leaderId = m.memberId;
    if (this.state === 'Stable' && selectProtocol([...this.members.values()]) === this.protocolName) {
      this.touch(member);
      const skip = supportSkippingAssignment && this.leaderId === m.memberId;
      return Promise.resolve(this.joinOk(member, skip ? m.memberId : oldLeader!, skip));
    }
    return this.awaitJoin(member, false);
  }

  /** Holds a member's join until the join phase ends, starting one if none runs. */
  private awaitJoin(member: Member, isNew: boolean): Promise<JoinResult> {
    // While its join is pending a member cannot heartbeat; Kafka suspends its
    // session until the join response goes out (the rebalance timeout rules).
    member.cancelSession?.();
    const result = new Promise<JoinResult>((resolve) => {
      member.joinWaiter?.(joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
      member.joinWaiter = resolve;
    });
    this.joined.add(member.memberId);
    if (this.state !== 'PreparingRebalance') this.prepareRebalance(this.state === 'Empty');
    else {
      if (isNew && this.initialDelay) this.initialDelay.newMemberAdded = true;
      this.maybeCompleteJoin();
    }
    return result;
  }

  /** protocolType and protocolName (SyncGroup v5+) are checked against the group's when given. */
  sync(memberId: string, groupInstanceId: string | null, generationId: number, protocol: { type: string | null; name: string | null }, assignments: Map<string, Buffer> | null): Promise<SyncResult> | SyncResult {
    const error = this.validateMember(memberId, groupInstanceId);
    if (error) return syncError(error);
    const member = this.members.get(memberId)!;
    if (generationId !== this.generationId) return syncError('ILLEGAL_GENERATION');
    if (differs(protocol.type, this.protocolType) || differs(protocol.name, this.protocolName)) return syncError('INCONSISTENT_GROUP_PROTOCOL');
    if (this.state === 'PreparingRebalance') return syncError('REBALANCE_IN_PROGRESS');
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

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): ErrorName {
    const error = this.validateMember(memberId, groupInstanceId);
    if (error) return error;
    if (generationId !== this.generationId) return 'ILLEGAL_GENERATION';
    const member = this.members.get(memberId)!;
    // A member awaiting its join response has no session running (awaitJoin): a heartbeat must not start one.
    if (!member.joinWaiter) this.touch(member);
    if (this.state === 'PreparingRebalance') return 'REBALANCE_IN_PROGRESS';
    return 'NONE';
  }

  /** An empty member id with an instance id removes whoever holds it: how an admin removes a static member. */
  leave(memberId: string, groupInstanceId: string | null): ErrorName {
    const id = memberId === '' && groupInstanceId !== null ? this.staticMembers.get(groupInstanceId) : memberId;
    const error = id === undefined ? 'UNKNOWN_MEMBER_ID' : this.validateMember(id, groupInstanceId);
    if (error) return error;
    this.remove(this.members.get(id!)!);
    return 'NONE';
  }

  /** Stops timers (broker shutdown). */
  shutdown(): void {
    this.cancelRebalance?.();
    for (const m of this.members.values()) m.cancelSession?.();
    for (const cancel of this.pending.values()) cancel();
  }

  private touch(m: Member): void {
    m.cancelSession?.();
    m.cancelSession = this.clock.after(m.sessionTimeoutMs, () => this.remove(m));
  }

  /** Removes a member and moves the group on (rebalance, or Empty). */
  private remove(m: Member): void {
    if (!this.detach(m)) return;
    if (this.members.size === 0) {
      this.becomeEmpty();
      this.onIdle();
    } else if (this.state === 'PreparingRebalance') {
      this.maybeCompleteJoin();
    } else {
      this.prepareRebalance(false);
    }
  }

  /** The last member is gone: a new (empty) generation, as Kafka's initNextGeneration. */
  private becomeEmpty(): void {
    this.cancelRebalance?.();
    this.initialDelay = null;
    this.state = 'Empty';
    this.generationId++;
    this.protocolName = null;
    this.joined.clear();
  }

  /** Takes a member out, failing its pending join or sync; no state change. */
  private detach(m: Member): boolean {
    if (this.members.get(m.memberId) !== m) return false;
    m.cancelSession?.();
    this.members.delete(m.memberId);
    this.joined.delete(m.memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === m.memberId) this.staticMembers.delete(m.groupInstanceId);
    m.joinWaiter?.(joinError(m.memberId, 'UNKNOWN_MEMBER_ID'));
    m.syncWaiter?.(syncError('UNKNOWN_MEMBER_ID'));
    m.joinWaiter = m.syncWaiter = undefined;
    if (this.leaderId === m.memberId) this.leaderId = null;
    return true;
  }

  private prepareRebalance(fromEmpty: boolean): void {
    this.state = 'PreparingRebalance';
    // Members waiting on a sync of the old generation must rejoin.
    for (const m of this.members.values()) {
      const w = m.syncWaiter;
      m.syncWaiter = undefined;
      w?.(syncError('REBALANCE_IN_PROGRESS'));
    }
    this.cancelRebalance?.();
    this.initialDelay = null;
    const timeoutMs = this.rebalanceTimeoutMs();
    if (fromEmpty && this.initialRebalanceDelayMs > 0) {
      this.initialDelay = { remainingMs: Math.max(timeoutMs - this.initialRebalanceDelayMs, 0), newMemberAdded: false };
      this.cancelRebalance = this.clock.after(this.initialRebalanceDelayMs, () => this.initialDelayOver());
      return;
    }
    this.cancelRebalance = this.clock.after(timeoutMs, () => this.completeJoin(true));
    this.maybeCompleteJoin();
  }

  /** The group's rebalance timeout: its members' longest. */
  private rebalanceTimeoutMs(): number {
    return Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
  }

  /**
   * The timer firing is what ends a step, never a reading of another clock:
   * a deadline checked against Date.now() can be a millisecond short when a
   * Node timer fires, and then nothing ended the join before the rebalance
   * timeout (a minute for kafkajs, five for librdkafka).
   */
  private initialDelayOver(): void {
    const d = this.initialDelay!;
    if (d.newMemberAdded && d.remainingMs > 0) {
      const stepMs = Math.min(this.initialRebalanceDelayMs, d.remainingMs);
      this.initialDelay = { remainingMs: d.remainingMs - stepMs, newMemberAdded: false };
      this.cancelRebalance = this.clock.after(stepMs, () => this.initialDelayOver());
      return;
    }
    this.initialDelay = null;
    this.completeJoin(true);
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.initialDelay || this.pending.size > 0) return;
    for (const id of this.members.keys()) if (!this.joined.has(id)) return;
    this.completeJoin(false);
  }

  /**
   * Ends the join phase: drops the dynamic members that did not rejoin (a
   * static one stays until its session times out, as in Kafka), picks a
   * protocol and a leader among the members that joined. If none did, the
   * phase waits another rebalance timeout.
   */
  private completeJoin(timedOut: boolean): void {
    if (this.state !== 'PreparingRebalance') return;
    this.cancelRebalance?.();
    if (timedOut) for (const m of [...this.members.values()]) if (!this.joined.has(m.memberId) && m.groupInstanceId === null) this.detach(m);
    if (this.members.size === 0) {
      this.becomeEmpty();
      this.onIdle();
      return;
    }
    if (this.leaderId === null || !this.joined.has(this.leaderId)) {
      const joined = [...this.members.keys()].find((id) => this.joined.has(id));
      if (joined === undefined) {
        // At least a second: with a zero rebalance timeout the timer would spin until the sessions end.
        this.cancelRebalance = this.clock.after(Math.max(this.rebalanceTimeoutMs(), 1000), () => this.completeJoin(true));
        return;
      }
      this.leaderId = joined;
    }
    this.generationId++;
    const members = [...this.members.values()];
    this.protocolType = members[0]!.protocolType;
    this.protocolName = selectProtocol(members);
    this.state = 'CompletingRebalance';
    this.joined = new Set();
    for (const m of members) {
      this.touch(m);
      const w = m.joinWaiter;
      m.joinWaiter = undefined;
      w?.(this.joinOk(m, this.leaderId, false));
    }
  }

  /** The current generation, as told to member m; the member list goes only to whom it names as leader. */
  private joinOk(m: Member, leader: string, skipAssignment: boolean): JoinResult {
    return joinAnswer(m, leader, skipAssignment, this.generationId, this.protocolType, this.protocolName, this.members.values());
  }

  /** A member's metadata for the group's selected protocol. */
  selectedMetadata(m: Member): Buffer {
    return metadataFor(m, this.protocolName);
  }

  /** Whether a joining member's protocols fit the group's (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  accepts(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocols.length > 0;
    if (protocolType !== this.protocolType && this.protocolType !== null) return false;
    return protocols.some((p) => [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private syncOk(assignment: Buffer): SyncResult {
    return syncAnswer(this.protocolType, this.protocolName, assignment);
  }
}
