// mqlab.workers: what a node other than 0 answers itself and what it has
// node 0 answer. A node serves its own partitions' data (produce, fetch,
// offsets by time, leader epochs, record deletion, producer state, its log
// directories) and Metadata from its copy of the topics; node 0 is the
// controller and the coordinator of every group and transactional id, so
// everything else goes there as it came (the frame, its correlation id and
// all) and its answer goes back as it was written. So a client that sends a
// group's or an admin request to any node is answered as by Kafka's
// coordinator or controller, with no redirect to follow.
import { ApiKeys, ZERO_UUID, type DecodedRequest } from '../protocol/kafka/index.js';
import type { HandlerContext } from './handlers/context.js';

const SERVED_BY_EVERY_NODE = new Set<number>([
  ApiKeys.ApiVersions,
  ApiKeys.SaslHandshake,
  ApiKeys.SaslAuthenticate,
  ApiKeys.Produce,
  ApiKeys.Fetch,
  ApiKeys.ListOffsets,
  ApiKeys.OffsetForLeaderEpoch,
  ApiKeys.DeleteRecords,
  ApiKeys.DescribeProducers,
  ApiKeys.DescribeLogDirs,
  ApiKeys.DescribeCluster,
  // Sent to every broker, each answering for what it coordinates: here nothing (admin clients add the answers up, so
  // node 0's answer forwarded from here would list its groups and transactions twice).
  ApiKeys.ListGroups,
  ApiKeys.ListTransactions,
]);

/**
 * Whether node 0 answers this request. Metadata is answered here unless it
 * names a topic this node does not know: that may be one node 0 has just
 * created, or one it would create (auto.create.topics.enable), which only
 * the controller may.
 */
export function forwarded(ctx: HandlerContext, req: DecodedRequest): boolean {
  if (SERVED_BY_EVERY_NODE.has(req.apiKey)) return false;
  if (req.apiKey !== ApiKeys.Metadata) return true;
  const wanted = req.body.topics;
  if (wanted === null) return false;
  const topics = ctx.broker.topics;
  return wanted.some((w) => (w.topicId !== ZERO_UUID ? !topics.byId(w.topicId) : w.name !== null && !topics.get(w.name)));
}
