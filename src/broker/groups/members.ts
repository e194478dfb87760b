// A group member as the coordinator keeps it, the answers a join and a sync
// give, and what is decided from members' protocols alone (which protocol a
// group selects, whether a rejoin changes anything).
import { randomUUID } from 'node:crypto';
import type { Cancel } from './clock.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';

/** At most this much of the client id goes into a member id (3 bytes a character at most in UTF-8). */
export const MEMBER_ID_CLIENT_CHARS = 200;

/**
 * A new member id in Kafka's form, client id then a UUID, with the client
 * id cut short: a client id may take 32,767 bytes, and the id must still
 * fit in the strings of the responses that carry it.
 */
export function newMemberId(clientId: string): string {
  let prefix = clientId;
  if (prefix.length > MEMBER_ID_CLIENT_CHARS) {
    // Not between the halves of a surrogate pair: the client would get U+FFFD back, and its id would not match.
    const high = prefix.charCodeAt(MEMBER_ID_CLIENT_CHARS - 1);
    prefix = prefix.slice(0, high >= 0xd800 && high <= 0xdbff ? MEMBER_ID_CLIENT_CHARS - 1 : MEMBER_ID_CLIENT_CHARS);
  }
  return `${prefix || 'member'}-${randomUUID()}`;
}

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface Member {
  memberId: string;
  /** Set once, when the member is added: Kafka's is immutable (a rejoin without one keeps it). */
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  cancelSession?: Cancel;
  joinWaiter?: (r: JoinResult) => void;
  syncWaiter?: (r: SyncResult) => void;
}

export interface JoinResult {
  error: ErrorName; // 'NONE' on success
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  /** KIP-814: the leader gets the members to watch their subscriptions, but must not assign. */
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  error: ErrorName;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/**
 * Kafka's selectProtocol: among the protocols every member supports, each
 * member votes for the first in its own list; the most votes win (a tie:
 * the one voted for first).
 */
export function selectProtocol(members: readonly Member[]): string | null {
  const common = new Set(members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name))));
  const votes = new Map<string, number>();
  for (const m of members) {
    const vote = m.protocols.find((p) => common.has(p.name))?.name;
    if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [name, n] of votes) if (best === null || n > votes.get(best)!) best = name;
  return best;
}

/** A JoinGroup answer that carries only an error (and, for MEMBER_ID_REQUIRED, the id to rejoin with). */
export function joinError(memberId: string, error: ErrorName): JoinResult {
  return { error, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(error: ErrorName): SyncResult {
  return { error, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

/** A member's metadata for the group's selected protocol (empty if it has none of that name). */
export function metadataFor(m: Member, protocolName: string | null): Buffer {
  return m.protocols.find((p) => p.name === protocolName)?.metadata ?? Buffer.alloc(0);
}

/** A JoinGroup answer of the generation: the leader's carries every member with its metadata for the selected protocol. */
export function joinAnswer(m: Member, leader: string, skipAssignment: boolean, generationId: number, protocolType: string | null, protocolName: string | null, members: Iterable<Member>): JoinResult {
  const all = m.memberId === leader ? [...members].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: metadataFor(x, protocolName) })) : [];
  return { error: 'NONE', generationId, protocolType, protocolName, leader, skipAssignment, memberId: m.memberId, members: all };
}

export function syncAnswer(protocolType: string | null, protocolName: string | null, assignment: Buffer): SyncResult {
  return { error: 'NONE', protocolType, protocolName, assignment };
}

/**
 * What a rejoin may change of a member (Kafka's updateMember, and the client
 * it now comes from); never its id or instance id.
 */
export function update(member: Member, m: Omit<Member, 'assignment'>): void {
  member.clientId = m.clientId;
  member.clientHost = m.clientHost;
  member.sessionTimeoutMs = m.sessionTimeoutMs;
  member.rebalanceTimeoutMs = m.rebalanceTimeoutMs;
  member.protocolType = m.protocolType;
  member.protocols = m.protocols;
}

export function sameProtocols(a: readonly Protocol[], b: readonly Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

/** SyncGroup v5's check (Kafka's isProtocolInconsistent): only a value given on both sides can differ. */
export function differs(asked: string | null, groups: string | null): boolean {
  return asked !== null && groups !== null && asked !== groups;
}
