// DescribeCluster: the nodes (this broker alone, or with mqlab.workers each
// worker's node), node 0 the one a client is told to treat as the controller
// (as Kafka's brokers answer in KRaft mode: an alive broker's id, since
// clients cannot reach the controllers).
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { CLUSTER } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { CONTROLLER } from '../cluster.js';

const BROKERS = 1;
/** Authorized operations a client did not ask for (the schema's default). */
const NOT_REQUESTED = -2147483648;

type DescribeClusterResponse = ResponseInput<typeof ApiKeys.DescribeCluster>;

/** Endpoint type 1 (brokers) only: v1's 2 (controllers) is refused, as by a Kafka broker; v0 says INVALID_REQUEST for both. */
export function describeCluster(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeCluster>, meta: RequestMeta): DescribeClusterResponse {
  const { apiVersion } = meta;
  const base = { throttleTimeMs: 0, endpointType: req.endpointType, clusterId: ctx.clusterId };
  if (req.endpointType !== BROKERS) {
    const known = req.endpointType === 2;
    const name = apiVersion === 0 ? 'INVALID_REQUEST' : known ? 'MISMATCHED_ENDPOINT_TYPE' : 'UNSUPPORTED_ENDPOINT_TYPE';
    const message = known ? 'this is a broker endpoint: controllers are not described here' : `unsupported endpoint type ${req.endpointType}`;
    return { ...base, errorCode: errorCode(name), errorMessage: message, controllerId: -1, brokers: [] };
  }
  return {
    ...base,
    errorCode: 0,
    errorMessage: null,
    controllerId: CONTROLLER,
    brokers: ctx.cluster.nodes(ctx).map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: null })),
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? meta.access.operations('CLUSTER', CLUSTER) : NOT_REQUESTED,
  };
}
