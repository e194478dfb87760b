// Consumer-group configs: how the broker treats a group's consumption, set
// per group (Kafka's ConfigResource type GROUP, 32, so DescribeConfigs and
// IncrementalAlterConfigs carry them; `mqlab config --group G`). Kept in
// <data>/group-configs.json, written atomically, so they survive a restart.
// A group without a value has the default; groups need not exist to be
// configured (RocketMQ groups are not registered anywhere before use).
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { bool, configEntry, intIn, type ConfigDef, type ConfigEntry, type ConfigSynonym } from './configs.js';
import { BrokerError } from './errors.js';
import { checkLadder, DEFAULT_LADDER, parseLadder } from './rocketmq/retry-ladder.js';

export const MAX_DELIVERY_ATTEMPTS = 'max.delivery.attempts';
export const RETRY_BACKOFF_LADDER = 'retry.backoff.ladder';
export const FIFO = 'fifo';

const GROUP_DEFS: (ConfigDef & { default: string })[] = [
  { name: MAX_DELIVERY_ATTEMPTS, type: 'INT', dynamic: true, default: '16', check: intIn(1, 1000), doc: 'deliveries of a message (RocketMQ consumers) before it goes to the group\'s dead-letter queue %DLQ%<group> (Kafka name DLQ.<group>)' },
  { name: RETRY_BACKOFF_LADDER, type: 'STRING', dynamic: true, default: DEFAULT_LADDER, check: checkLadder, doc: 'wait before redelivering a message a push consumer failed, by attempt (the last step repeats)' },
  { name: FIFO, type: 'BOOLEAN', dynamic: true, default: 'true', check: bool, doc: 'deliver FIFO topics\' messages in order per message group, one in flight per group (false: as NORMAL messages)' },
];

const MAX_GROUP_NAME = 255;
/** Groups whose parsed settings are kept at once. */
const MAX_PARSED = 10_000;

/** A group's settings in force, parsed. */
export interface GroupSettings {
  readonly maxDeliveryAttempts: number;
  readonly backoffSteps: readonly number[];
  readonly fifo: boolean;
}

export class GroupConfigs {
  /** Per group, the configs set for it (a Map: group names are data, and an object keyed by them sent V8's keyed loads back to generic code at each new group). */
  private readonly values = new Map<string, Record<string, string>>();
  /** Per group, its settings parsed (every receive asks): dropped when the group's configs change. */
  private readonly parsed = new Map<string, GroupSettings>();

  constructor(private readonly file: string | null) {}

  open(): void {
    if (!this.file || !existsSync(this.file)) return;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, Record<string, string>>;
    for (const [group, configs] of Object.entries(saved)) {
      for (const [name, value] of Object.entries(configs)) {
        const def = GROUP_DEFS.find((d) => d.name === name);
        if (!def || def.check(value)) continue; // a config dropped or narrowed since: the default stands
        this.own(group)[name] = value;
      }
    }
  }

  get(group: string, name: string): string {
    const def = GROUP_DEFS.find((d) => d.name === name);
    if (!def) throw new Error(`no group config ${name}`);
    return this.values.get(group)?.[name] ?? def.default;
  }

  settings(group: string): GroupSettings {
    let s = this.parsed.get(group);
    if (s === undefined) {
      const steps = parseLadder(this.get(group, RETRY_BACKOFF_LADDER));
      s = {
        maxDeliveryAttempts: Number(this.get(group, MAX_DELIVERY_ATTEMPTS)),
        backoffSteps: typeof steps === 'string' ? (parseLadder(DEFAULT_LADDER) as number[]) : steps,
        fifo: this.get(group, FIFO) === 'true',
      };
      // Bounded, as group names come from clients: past MAX_PARSED groups it starts over.
      if (this.parsed.size >= MAX_PARSED) this.parsed.clear();
      this.parsed.set(group, s);
    }
    return s;
  }

  describe(group: string): ConfigEntry[] {
    checkGroupName(group);
    return GROUP_DEFS.map((d) => {
      const own = this.values.get(group)?.[d.name];
      const byDefault: ConfigSynonym = { name: d.name, value: d.default, source: 'DEFAULT_CONFIG' };
      return configEntry(d, own !== undefined ? [{ name: d.name, value: own, source: 'GROUP_CONFIG' }, byDefault] : [byDefault], own === undefined);
    });
  }

  /** Sets (value) or reverts to the default (null) each, all or none. */
  alter(group: string, changes: readonly { name: string; value: string | null }[], validateOnly = false): void {
    checkGroupName(group);
    for (const { name, value } of changes) {
      const def = GROUP_DEFS.find((d) => d.name === name);
      if (!def) throw new BrokerError('INVALID_CONFIG', `unknown group config "${name}" (known: ${GROUP_DEFS.map((d) => d.name).join(', ')})`);
      const why = value === null ? null : def.check(value);
      if (why) throw new BrokerError('INVALID_CONFIG', `${name}=${value}: ${why}`);
    }
    if (validateOnly) return;
    const own = this.own(group);
    for (const { name, value } of changes) {
      if (value === null) delete own[name];
      else own[name] = value;
    }
    if (Object.keys(own).length === 0) this.values.delete(group);
    this.parsed.delete(group);
    if (this.file) writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.values), null, 2));
  }

  private own(group: string): Record<string, string> {
    let own = this.values.get(group);
    if (own === undefined) this.values.set(group, (own = {}));
    return own;
  }
}

function checkGroupName(group: string): void {
  if (group === '' || group.length > MAX_GROUP_NAME) throw new BrokerError('INVALID_GROUP_ID', `group id "${group}": 1 to ${MAX_GROUP_NAME} characters`);
}
