// Incremental fetch sessions (KIP-227), as Kafka's FetchSession.scala keeps
// them: broker-wide, keyed by a random id, surviving reconnects until
// closed or evicted. A session holds the partitions a client fetches and,
// for each, what the client last asked (offset, max bytes) and was last
// told (high watermark, log start offset): an incremental request names
// only what changed, and its answer only partitions with something to say.
//
// Bounded like Kafka's cache: at most `maxSessions` sessions (Kafka's
// max.incremental.fetch.session.cache.slots); further, each session holds
// at most `maxPartitionsPerSession` partitions and all together at most
// `maxPartitions` (mqlab's own bounds: Kafka bounds them only by request
// size). A new session that does not fit evicts, as Kafka's tryEvict does,
// the least recently used session if it has been idle longer than
// `evictionMs`, else the smallest evictable session if the new one is
// larger (a consumer's session is evictable once older than `evictionMs`; a
// follower's is privileged and outranks consumers'); otherwise none is made.
import type { FetchPartition } from './fetch-read.js';

/** A session epoch that means "no session" (with id 0) or "close it" (KIP-227). */
export const FINAL_EPOCH = -1;
/** The epoch of a full request that opens a session. */
export const INITIAL_EPOCH = 0;
/** Id 0: no session. */
export const INVALID_SESSION_ID = 0;

/** Kafka's FetchMetadata.nextEpoch: after FINAL_EPOCH comes FINAL_EPOCH, after Int.MaxValue 1. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  if (epoch === 0x7fffffff) return 1;
  return epoch + 1;
}

export interface FetchSessionLimits {
  /** max.incremental.fetch.session.cache.slots: 0 opens none. */
  maxSessions: number;
  /** Partitions in one session; a full request naming more gets no session. */
  maxPartitionsPerSession: number;
  /** Partitions across all sessions. */
  maxPartitions: number;
  /** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: idle this long, a session is stale; younger than this, a consumer's is kept. */
  evictionMs: number;
}

export const DEFAULT_EVICTION_MS = 120_000;

/** One partition of a session: what the client asked for, and what it was last told. */
export interface SessionPartition extends FetchPartition {
  /** The high watermark last answered (-1 after an error, so the partition is answered again). */
  highWatermark: bigint;
  logStartOffset: bigint;
}

export class FetchSession {
  /** In fetch order: partitions that returned records move to the end (fairness across fetches). */
  readonly partitions = new Map<string, SessionPartition>();
  lastUsedMs: number;
  /** The epoch the next incremental request must carry. */
  epoch = nextEpoch(INITIAL_EPOCH);
  /** Size and evictability as of the last touch, as Kafka's evictable sets hold them. */
  cachedSize = 0;
  evictableByAll = false;
  evictableByPrivileged = false;

  constructor(
    readonly id: number,
    /** Opened by a follower (replica id >= 0): outranks consumers' sessions. */
    readonly privileged: boolean,
    /** v13+ sessions key partitions by topic id, older ones by name. */
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
  ) {
    this.lastUsedMs = creationMs;
  }

  /** The key of a partition: by id in a session using topic ids, else by name. */
  key(p: { topic: string; topicId?: string; partition: number }): string {
    return `${p.partition}|${this.usesTopicIds ? (p.topicId ?? '') : p.topic}`;
  }

  /**
   * Adds or updates the partitions a request names and drops the forgotten
   * ones (Kafka's FetchSession.update). False, and the session unchanged
   * in size, if the additions would take it past `maxSize`.
   */
  update(named: readonly FetchPartition[], forgotten: readonly { topic: string; topicId?: string; partition: number }[], maxSize: number): boolean {
    let adding = 0;
    for (const p of named) if (!this.partitions.has(this.key(p))) adding++;
    if (adding > 0 && this.partitions.size + adding > maxSize) {
      // Forgotten ones may make room; count exactly only when it matters.
      const after = new Set(this.partitions.keys());
      for (const p of named) after.add(this.key(p));
      for (const f of forgotten) after.delete(this.key(f));
      if (after.size > maxSize) return false;
    }
    for (const p of named) {
      const k = this.key(p);
      const cached = this.partitions.get(k);
      if (cached) {
        cached.fetchOffset = p.fetchOffset;
        cached.maxBytes = p.maxBytes;
      } else {
        this.partitions.set(k, { ...p, highWatermark: -1n, logStartOffset: -1n });
      }
    }
    for (const f of forgotten) this.partitions.delete(this.key(f));
    return true;
  }
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private partitionCount = 0;
  private evictionCount = 0;

  constructor(
    readonly limits: FetchSessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Partitions cached across all sessions (as of each one's last touch). */
  get totalPartitions(): number {
    return this.partitionCount;
  }

  /** Sessions evicted to make room for others since start. */
  get evictions(): number {
    return this.evictionCount;
  }

  /**
   * A new session of these partitions, or null if the cache has no room
   * (after trying to evict one as Kafka does) or there are too many of them.
   */
  create(privileged: boolean, usesTopicIds: boolean, partitions: readonly SessionPartition[]): FetchSession | null {
    const now = this.now();
    const session = new FetchSession(this.newId(), privileged, usesTopicIds, now);
    for (const p of partitions) {
      const k = session.key(p);
      if (session.partitions.has(k)) session.partitions.delete(k); // named twice: the last wins, as in Kafka's request map
      session.partitions.set(k, p);
    }
    const size = session.partitions.size;
    const { maxSessions, maxPartitionsPerSession, maxPartitions } = this.limits;
    if (maxSessions <= 0 || size > maxPartitionsPerSession || size > maxPartitions) return null;
    while (this.sessions.size >= maxSessions || this.partitionCount + size > maxPartitions) {
      if (!this.tryEvict(privileged, size, now)) return null;
    }
    this.sessions.set(session.id, session);
    this.touch(session, now);
    return session;
  }

  /** Closes a session; false if there was none of that id. */
  remove(id: number): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    this.partitionCount -= s.cachedSize;
    return true;
  }

  /** Marks a session used now and takes its new size into account (Kafka's touch). */
  touch(session: FetchSession, now = this.now()): void {
    if (this.sessions.get(session.id) !== session) return;
    session.lastUsedMs = now;
    this.partitionCount += session.partitions.size - session.cachedSize;
    session.cachedSize = session.partitions.size;
    const old = now - session.creationMs > this.limits.evictionMs;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }

  /**
   * Applies an incremental request to a session (FetchSession.update);
   * false, the session unchanged, if it would outgrow a bound.
   */
  update(session: FetchSession, named: readonly FetchPartition[], forgotten: readonly { topic: string; topicId?: string; partition: number }[]): boolean {
    const othersHold = this.partitionCount - session.cachedSize;
    return session.update(named, forgotten, Math.min(this.limits.maxPartitionsPerSession, this.limits.maxPartitions - othersHold));
  }

  /**
   * Kafka's tryEvict: the least recently used session if it is stale;
   * else the first evictable one by (privileged, size, id) if the new
   * session (privileged, size, 0) is not smaller.
   */
  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    let lru: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!lru || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s;
    }
    if (!lru) return false;
    if (now - lru.lastUsedMs > this.limits.evictionMs) return this.evict(lru);
    let first: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!(privileged ? s.evictableByPrivileged : s.evictableByAll)) continue;
      if (!first || compareEvictable(s, first) < 0) first = s;
    }
    if (!first) return false;
    if (compareKeys(privileged, size, 0, first.privileged, first.cachedSize, first.id) < 0) return false;
    return this.evict(first);
  }

  private evict(s: FetchSession): boolean {
    this.remove(s.id);
    this.evictionCount++;
    return true;
  }

  /** A random positive id no session has (Kafka's newSessionId). */
  private newId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * 0x7ffffffe);
      if (!this.sessions.has(id)) return id;
    }
  }
}

function compareEvictable(a: FetchSession, b: FetchSession): number {
  return compareKeys(a.privileged, a.cachedSize, a.id, b.privileged, b.cachedSize, b.id);
}

/** Kafka's EvictableKey order: unprivileged first, then smaller, then lower id. */
function compareKeys(ap: boolean, asize: number, aid: number, bp: boolean, bsize: number, bid: number): number {
  if (ap !== bp) return ap ? 1 : -1;
  if (asize !== bsize) return asize - bsize;
  return aid - bid;
}
