// RocketMQ access keys, managed over the HTTP API's admin routes (the admin
// token, or with an authorizer a user with ALTER / DESCRIBE on the cluster):
// a key is made for a user and its secret shown once, in the answer.
import { requireAdminAccess } from '../access.js';
import type { Call } from '../context.js';
import { badRequest, HttpError } from '../errors.js';
import { readJson } from '../request.js';
import { sendJson } from '../respond.js';

const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export function listAccessKeys(call: Call): void {
  requireAdminAccess(call, 'DESCRIBE');
  sendJson(call, 200, { accessKeys: call.ctx.broker.security.accessKeys.list() });
}

/** {"user": "alice"} -> 201 {accessKey, secretKey, user} */
export async function createAccessKey(call: Call): Promise<void> {
  requireAdminAccess(call, 'ALTER');
  const body = await readJson(call, MAX_ADMIN_BODY_BYTES);
  const user = typeof body === 'object' && body !== null ? (body as { user?: unknown }).user : undefined;
  if (typeof user !== 'string' || user === '' || user.length > 255) throw badRequest('expected {"user": string of 1 to 255 characters}');
  const made = call.ctx.broker.security.accessKeys.create(user);
  call.ctx.log('info', `access key ${made.accessKey} made for user ${user}`);
  sendJson(call, 201, { ...made, user });
}

export function deleteAccessKey(call: Call): void {
  requireAdminAccess(call, 'ALTER');
  const key = call.params[0]!;
  if (!call.ctx.broker.security.accessKeys.delete(key)) throw new HttpError(404, 'NOT_FOUND', `no access key ${key.slice(0, 64)}`);
  sendJson(call, 200, { deleted: key });
}
