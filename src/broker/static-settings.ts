// The broker's static configs by Kafka name (what DescribeConfigs shows as
// STATIC_BROKER_CONFIG), from the typed settings it was started with.
import type { BrokerConfig } from './broker.js';

/** The broker's static configs by Kafka name, from its typed settings. */
export function staticSettings(c: BrokerConfig): Record<string, string> {
  const s: Record<string, string> = {
    'mqlab.storage.engine': c.engine,
    'mqlab.flush': c.flush.kind === 'interval' ? String(c.flush.intervalMs) : c.flush.kind,
    'transfer.strategy': c.transfer,
    'auto.create.topics.enable': String(c.autoCreateTopics),
    'num.partitions': String(c.numPartitions),
  };
  if (c.segmentBytes !== undefined) s['log.segment.bytes'] = String(c.segmentBytes);
  if (c.maxBatchBytes !== undefined) s['message.max.bytes'] = String(c.maxBatchBytes);
  if (c.retention?.retentionMs !== undefined) s['log.retention.ms'] = String(c.retention.retentionMs);
  if (c.retention?.retentionBytes !== undefined) s['log.retention.bytes'] = String(c.retention.retentionBytes);
  if (c.retentionCheckIntervalMs) s['log.retention.check.interval.ms'] = String(c.retentionCheckIntervalMs);
  return { ...s, ...c.settings };
}
