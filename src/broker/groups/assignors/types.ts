// What a server-side assignor of KIP-848's consumer groups sees and answers
// (Kafka's ConsumerGroupPartitionAssignor): members with the topic ids they
// subscribe to (existing topics only), each topic's partition count, and the
// current target assignment, from which a sticky assignor starts.
import type { Assignment } from '../assignment.js';

export interface AssignorMember {
  memberId: string;
  instanceId: string | null;
  /** Topic ids, each an existing topic. */
  subscribedTopicIds: ReadonlySet<string>;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Partitions of a subscribed topic. */
  partitionCount(topicId: string): number;
  /** Each member's target assignment before this one (absent for a new member). */
  current: ReadonlyMap<string, Assignment>;
}

export interface ServerAssignor {
  readonly name: string;
  /** A target assignment for every member of the input (an empty one for a member given nothing). */
  assign(input: AssignorInput): Map<string, Assignment>;
}
