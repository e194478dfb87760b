// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554): the
// users SASL logins are checked against, kept in the broker's credential
// store (durable, in the data directory).
import { scramMechanismCode } from '../../broker/security/scram.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { CLUSTER } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { errorMessage } from './error-message.js';

/** DESCRIBE on the cluster, as Kafka's. */
export function describeUserScramCredentials(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeUserScramCredentials>, meta: RequestMeta): ResponseInput<typeof ApiKeys.DescribeUserScramCredentials> {
  if (!meta.access.can('DESCRIBE', 'CLUSTER', CLUSTER)) return { throttleTimeMs: 0, errorCode: errorCode('CLUSTER_AUTHORIZATION_FAILED'), errorMessage: errorMessage(`${meta.session.principal} may not describe users`), results: [] };
  const all = ctx.credentials.list();
  const asked = req.users === null || req.users.length === 0 ? null : req.users.map((u) => u.name);
  const results = (asked ?? all.map((u) => u.user)).map((name, i, names) => {
    const found = all.find((u) => u.user === name);
    if (names.indexOf(name) !== i) return { user: name, errorCode: errorCode('DUPLICATE_RESOURCE'), errorMessage: errorMessage(`user ${name} is named twice in the request`), credentialInfos: [] };
    if (!found) return { user: name, errorCode: errorCode('RESOURCE_NOT_FOUND'), errorMessage: errorMessage(`attempt to describe a user credential that does not exist: ${name}`), credentialInfos: [] };
    return { user: name, errorCode: 0, errorMessage: null, credentialInfos: found.credentials.map((c) => ({ mechanism: scramMechanismCode(c.mechanism), iterations: c.iterations })) };
  });
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
}

/** ALTER on the cluster, as Kafka's: without it every user of the request is refused. */
export function alterUserScramCredentials(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.AlterUserScramCredentials>, meta: RequestMeta): ResponseInput<typeof ApiKeys.AlterUserScramCredentials> {
  if (!meta.access.can('ALTER', 'CLUSTER', CLUSTER)) {
    const users = [...new Set([...req.deletions, ...req.upsertions].map((e) => e.name))];
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: errorCode('CLUSTER_AUTHORIZATION_FAILED'), errorMessage: errorMessage(`${meta.session.principal} may not alter users`) })) };
  }
  try {
    const results = ctx.credentials.alter(
      req.deletions.map((d) => ({ user: d.name, mechanism: d.mechanism })),
      req.upsertions.map((u) => ({ user: u.name, mechanism: u.mechanism, iterations: u.iterations, salt: u.salt, saltedPassword: u.saltedPassword })),
    );
    return { throttleTimeMs: 0, results: results.map((r) => ({ user: r.user, errorCode: errorCode(r.error), errorMessage: errorMessage(r.message) })) };
  } catch (err) {
    // The store could not be written: nothing changed, for any user of the request.
    ctx.log('error', `AlterUserScramCredentials: ${(err as Error).message}`);
    const users = [...new Set([...req.deletions, ...req.upsertions].map((e) => e.name))];
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: errorCode('KAFKA_STORAGE_ERROR'), errorMessage: `the credential store could not be written: ${(err as Error).message}` })) };
  }
}
