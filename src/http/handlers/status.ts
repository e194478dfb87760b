// Health and metrics, for probes and Prometheus: health is open; metrics,
// which name every topic and group, take DESCRIBE on the cluster once an
// authorizer is configured (a scraper sends Basic credentials then).
import { CLUSTER } from '../../server/handlers/access.js';
import { requireAccess } from '../access.js';
import type { Call } from '../context.js';
import { renderMetrics } from '../metrics/exposition.js';
import { CONTENT_TYPE } from '../metrics/text-format.js';
import { sendJson, sendText } from '../respond.js';

export function health(call: Call): void {
  const { broker, startedAt } = call.ctx;
  sendJson(call, 200, {
    status: 'ok',
    engine: broker.engine.kind,
    transfer: broker.transfer.name,
    uptimeSeconds: Math.round((performance.now() - startedAt) / 1000),
  });
}

export function metrics(call: Call): void {
  requireAccess(call, 'DESCRIBE', 'CLUSTER', CLUSTER);
  sendText(call, 200, renderMetrics(call.ctx), CONTENT_TYPE);
}
