// From a request frame to a response: decode with the protocol tables, run
// the API's handler against the broker, encode. A frame that does not parse
// closes its connection (Kafka does the same; the client cannot be answered
// in a layout it will read), except ApiVersions of too new a version, which
// is answered in the v0 layout with UNSUPPORTED_VERSION and our ranges, so
// the client retries with one we speak (KIP-511).
//
// Before a connection has logged in (SASL listeners) only ApiVersions,
// SaslHandshake and SaslAuthenticate are served; anything else closes it,
// as Kafka does. So does a request after its SASL session has ended
// (connections.max.reauth.ms) that is not a re-authentication.
import { releaseFetched } from '../broker/broker.js';
import type { KafkaRequest, KafkaResponse, RequestHandler } from '../broker/network/connection.js';
import {
  ApiKeys,
  advertisedVersions,
  decodeRequest,
  encodeResponse,
  errorCode,
  EncodeError,
  UnsupportedVersionError,
  type ApiKey,
  type DecodedRequest,
  type ResponseInput,
} from '../protocol/kafka/index.js';
import { createAcls, deleteAcls, describeAcls } from './handlers/acls.js';
import { createTopics, deleteTopics } from './handlers/admin.js';
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from './handlers/admin-configs.js';
import { describeCluster } from './handlers/cluster.js';
import { consumerGroupDescribe, consumerGroupHeartbeat } from './handlers/consumer-groups.js';
import type { HandlerContext, RequestMeta } from './handlers/context.js';
import { fetch, listOffsets } from './handlers/fetch.js';
import { deleteGroups, offsetDelete } from './handlers/group-admin.js';
import { offsetCommit, offsetFetch } from './handlers/group-offsets.js';
import { describeGroups, heartbeat, joinGroup, leaveGroup, listGroups, syncGroup } from './handlers/groups.js';
import { apiVersions, findCoordinator } from './handlers/meta.js';
import { metadata } from './handlers/metadata.js';
import { createPartitions, deleteRecords, offsetForLeaderEpoch } from './handlers/partitions.js';
import { describeLogDirs, describeProducers } from './handlers/partition-state.js';
import { produce } from './handlers/produce.js';
import { ALLOW_ALL, type Access } from './handlers/access.js';
import type { Session } from '../broker/network/session.js';
import { saslAuthenticate, saslHandshake, saslRawToken } from './handlers/sasl.js';
import { alterUserScramCredentials, describeUserScramCredentials } from './handlers/scram-credentials.js';
import { forwarded } from './forwarding.js';
import { addOffsetsToTxn, addPartitionsToTxn, describeTransactions, endTxn, initProducerId, listTransactions, txnOffsetCommit } from './handlers/transactions.js';

type Ctx = Omit<HandlerContext, 'apis'>;

export function createDispatcher(base: Ctx): RequestHandler {
  const ctx = base as HandlerContext;
  ctx.apis = advertisedVersions();
  return async (request: KafkaRequest): Promise<KafkaResponse | null> => {
    const session = request.session;
    if (session.expectsRawToken) return { parts: [{ bytes: saslRawToken(ctx, session, request.frame), regions: [] }] };
    let req: DecodedRequest;
    try {
      req = decodeRequest(request.frame);
    } catch (err) {
      if (err instanceof UnsupportedVersionError && err.apiKey === ApiKeys.ApiVersions) {
        const body = { errorCode: errorCode('UNSUPPORTED_VERSION'), apiKeys: ctx.apis.map((a) => ({ ...a })) };
        return { parts: encodeResponse(ApiKeys.ApiVersions, 0, err.correlationId, body).parts };
      }
      throw err; // the connection closes, saying why
    }
    const login = req.apiKey === ApiKeys.ApiVersions || req.apiKey === ApiKeys.SaslHandshake || req.apiKey === ApiKeys.SaslAuthenticate;
    if (!login) {
      if (!session.authenticated) throw new Error(`${session.listener.name} is a ${session.listener.protocol} listener: api key ${req.apiKey} before the SASL login`);
      if (session.expiresAtMs !== null && ctx.now() >= session.expiresAtMs) throw new Error(`the SASL session of ${session.principal} ended (connections.max.reauth.ms) without re-authentication`);
    }
    const clientHost = request.clientHost;
    if (!ctx.cluster.ready) await ctx.cluster.whenReady;
    if (ctx.forward && forwarded(ctx, req)) {
      const bytes = await ctx.forward(request.frame, clientHost);
      return bytes === null ? null : { parts: [{ bytes, regions: [] }] };
    }
    const meta: RequestMeta = { apiVersion: req.apiVersion, clientId: req.header.clientId ?? '', clientHost, session, access: accessOf(ctx, session, clientHost) };
    let closeAfter: string | undefined;
    let body: ResponseInput<ApiKey> | null;
    const mark = ctx.settle?.mark() ?? 0;
    if (req.apiKey === ApiKeys.SaslHandshake || req.apiKey === ApiKeys.SaslAuthenticate) {
      const answer = req.apiKey === ApiKeys.SaslHandshake ? saslHandshake(ctx, req.body, session, req.apiVersion) : saslAuthenticate(ctx, req.body, session);
      body = answer.body;
      closeAfter = answer.closeAfter;
    } else body = await handle(ctx, req, meta);
    const settling = ctx.settle?.after(mark);
    if (settling) {
      try {
        await settling;
      } catch (err) {
        if (meta.fetched) releaseFetched(meta.fetched);
        throw err;
      }
    }
    if (body === null) return null;
    try {
      return { parts: encodeResponse(req.apiKey, req.apiVersion, req.header.correlationId, body).parts, closeAfter };
    } catch (err) {
      if (err instanceof EncodeError) ctx.log('error', `bug: a response the codec cannot write: ${err.message}`);
      if (meta.fetched) releaseFetched(meta.fetched);
      throw err;
    }
  };
}

async function handle(ctx: HandlerContext, req: DecodedRequest, meta: RequestMeta): Promise<ResponseInput<ApiKey> | null> {
  const v = req.apiVersion;
  switch (req.apiKey) {
    case ApiKeys.ApiVersions:
      return apiVersions(ctx, meta);
    case ApiKeys.Metadata:
      return metadata(ctx, req.body, meta);
    case ApiKeys.FindCoordinator:
      return findCoordinator(ctx, req.body, meta);
    case ApiKeys.Produce:
      return produce(ctx, req.body, meta);
    case ApiKeys.Fetch:
      return fetch(ctx, req.body, meta);
    case ApiKeys.ListOffsets:
      return listOffsets(ctx, req.body, meta);
    case ApiKeys.JoinGroup:
      return joinGroup(ctx, req.body, meta);
    case ApiKeys.SyncGroup:
      return syncGroup(ctx, req.body, meta);
    case ApiKeys.Heartbeat:
      return heartbeat(ctx, req.body, meta);
    case ApiKeys.LeaveGroup:
      return leaveGroup(ctx, req.body, meta);
    case ApiKeys.OffsetCommit:
      return offsetCommit(ctx, req.body, meta);
    case ApiKeys.OffsetFetch:
      return offsetFetch(ctx, req.body, meta);
    case ApiKeys.DescribeGroups:
      return describeGroups(ctx, req.body, meta);
    case ApiKeys.ListGroups:
      return listGroups(ctx, req.body, meta);
    case ApiKeys.CreateTopics:
      return createTopics(ctx, req.body, meta);
    case ApiKeys.DeleteTopics:
      return deleteTopics(ctx, req.body, meta);
    case ApiKeys.InitProducerId:
      return initProducerId(ctx, req.body, meta);
    case ApiKeys.DescribeConfigs:
      return describeConfigs(ctx, req.body, meta);
    case ApiKeys.AlterConfigs:
      return alterConfigs(ctx, req.body, meta);
    case ApiKeys.IncrementalAlterConfigs:
      return incrementalAlterConfigs(ctx, req.body, meta);
    case ApiKeys.DescribeCluster:
      return describeCluster(ctx, req.body, meta);
    case ApiKeys.CreatePartitions:
      return createPartitions(ctx, req.body, meta);
    case ApiKeys.DeleteGroups:
      return deleteGroups(ctx, req.body, meta);
    case ApiKeys.OffsetDelete:
      return offsetDelete(ctx, req.body, meta);
    case ApiKeys.DeleteRecords:
      return deleteRecords(ctx, req.body, meta);
    case ApiKeys.OffsetForLeaderEpoch:
      return offsetForLeaderEpoch(ctx, req.body, meta);
    case ApiKeys.DescribeLogDirs:
      return describeLogDirs(ctx, req.body, meta);
    case ApiKeys.DescribeProducers:
      return describeProducers(ctx, req.body, meta);
    case ApiKeys.AddPartitionsToTxn:
      return addPartitionsToTxn(ctx, req.body, meta);
    case ApiKeys.AddOffsetsToTxn:
      return addOffsetsToTxn(ctx, req.body, meta);
    case ApiKeys.TxnOffsetCommit:
      return txnOffsetCommit(ctx, req.body, meta);
    case ApiKeys.EndTxn:
      return endTxn(ctx, req.body, meta);
    case ApiKeys.ListTransactions:
      return listTransactions(ctx, req.body, meta);
    case ApiKeys.DescribeTransactions:
      return describeTransactions(ctx, req.body, meta);
    case ApiKeys.ConsumerGroupHeartbeat:
      return consumerGroupHeartbeat(ctx, req.body, meta);
    case ApiKeys.ConsumerGroupDescribe:
      return consumerGroupDescribe(ctx, req.body, meta);
    case ApiKeys.DescribeAcls:
      return describeAcls(ctx, req.body, meta);
    case ApiKeys.CreateAcls:
      return createAcls(ctx, req.body, meta);
    case ApiKeys.DeleteAcls:
      return deleteAcls(ctx, req.body, meta);
    case ApiKeys.DescribeUserScramCredentials:
      return describeUserScramCredentials(ctx, req.body, meta);
    case ApiKeys.AlterUserScramCredentials:
      return alterUserScramCredentials(ctx, req.body, meta);
    case ApiKeys.SaslHandshake:
    case ApiKeys.SaslAuthenticate:
      throw new Error('login requests are answered before handle()');
  }
}

/** What the session's principal may do, from this host: everything until an authorizer is configured. */
function accessOf(ctx: HandlerContext, session: Session, host: string): Access {
  const authorizer = ctx.authorizer;
  if (!authorizer.enabled) return ALLOW_ALL;
  const principal = session.principal;
  return {
    enforced: true,
    can: (operation, resource, name) => authorizer.authorize(principal, host, operation, resource, name),
    shows: (operation, resource, name) => authorizer.authorize(principal, host, operation, resource, name, false),
    canOnSome: (operation, resource) => authorizer.authorizeByResourceType(principal, host, operation, resource),
    operations: (resource, name) => authorizer.authorizedOperations(principal, host, resource, name),
  };
}
