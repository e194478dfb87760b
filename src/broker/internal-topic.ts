// The broker's internal topics whose records are keyed state (committed
// offsets, transactions): the last record of a key wins, which is what
// compaction keeps. On an engine with a log cleaner they are compacted
// (100 MiB segments, as Kafka's offsets.topic.segment.bytes and
// transaction.state.log.segment.bytes); the commit log cannot compact, so
// there they grow until log.retention.* removes whole files.
import type { StorageEngine } from '../storage/types.js';
import type { TopicRegistry } from './topics.js';

const SEGMENT_BYTES = 100 * 1024 * 1024;

/** Creates the one-partition internal topic, or makes an existing one (from before compaction) compacted. */
export function openStateTopic(engine: StorageEngine, topics: TopicRegistry, name: string): void {
  const configs: Record<string, string> = engine.startCleaner ? { 'cleanup.policy': 'compact', 'segment.bytes': String(SEGMENT_BYTES) } : {};
  const t = topics.get(name);
  if (!t) topics.create(name, 1, configs, true);
  else for (const [k, v] of Object.entries(configs)) if (t.configs[k] === undefined) topics.setConfig(name, k, v);
}
