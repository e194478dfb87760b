// The broker's static configs by Kafka name (what DescribeConfigs shows as
// STATIC_BROKER_CONFIG), from the typed settings it was started with. A
// typed setting at its default is not one: Kafka shows a config nobody set
// as DEFAULT_CONFIG. What the config file or a flag named (`settings`)
// stays static whatever its value, as in Kafka.
import type { BrokerConfig } from './broker-config.js';
import { BROKER_CONFIG_DEFAULTS } from './configs.js';

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
  for (const [name, value] of Object.entries(s)) if (BROKER_CONFIG_DEFAULTS[name] === value) delete s[name];
  return { ...s, ...c.settings };
}
