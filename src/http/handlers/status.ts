// Health and metrics: cheap, open, for probes and Prometheus.
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
  sendText(call, 200, renderMetrics(call.ctx), CONTENT_TYPE);
}
