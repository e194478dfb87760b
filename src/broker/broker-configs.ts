// The broker's configs in force on a running broker: the definitions and
// defaults of configs.ts, then the static settings, then the dynamic changes
// AlterConfigs makes (kept in <data>/configs.json, so they survive a restart).
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { BROKER_CONFIG_DEFAULTS, BROKER_DEFS, brokerConfigDef, checkBrokerSettings, configEntry, LISTENER_PREFIXED, TOPIC_DEFS, type ConfigEntry, type ConfigSynonym } from './configs.js';
import { BrokerError } from './errors.js';

/**
 * The broker's configs in force: defaults, then the static settings (flags,
 * config file), then dynamic changes (persisted). `onChange` hears each
 * dynamic change after it is stored.
 */
export class BrokerConfigs {
  private readonly dynamicValues: Record<string, string> = {};
  /** Bumped by every dynamic change: what other nodes must be told (../server/worker-nodes.ts). */
  changes = 0;

  constructor(
    private readonly staticValues: Record<string, string>,
    private readonly file: string | null,
    private readonly onChange: (name: string, value: string) => void,
  ) {
    checkBrokerSettings(staticValues);
  }

  /** Loads the persisted dynamic configs and applies them. */
  open(): void {
    if (!this.file || !existsSync(this.file)) return;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>;
    for (const [name, value] of Object.entries(saved)) {
      const def = brokerConfigDef(name);
      if (!def?.dynamic || def.check(value)) continue; // a config dropped or narrowed since: the static value stands
      this.dynamicValues[name] = value;
      this.onChange(name, value);
    }
  }

  get(name: string): string {
    const v = this.dynamicValues[name] ?? this.staticValues[name] ?? BROKER_CONFIG_DEFAULTS[name];
    if (v === undefined) throw new Error(`no broker config ${name}`);
    return v;
  }

  describe(): ConfigEntry[] {
    const prefixed = Object.keys(this.staticValues).filter((n) => LISTENER_PREFIXED.test(n)).sort().map((n) => brokerConfigDef(n)!);
    return [...BROKER_DEFS, ...prefixed].map((d) => {
      const synonyms = this.synonyms(d.name);
      return configEntry(d, synonyms, synonyms[0]!.source === 'DEFAULT_CONFIG');
    });
  }

  /** Where a broker config is set, by precedence: dynamically, statically, by default. */
  private synonyms(name: string): ConfigSynonym[] {
    const out: ConfigSynonym[] = [];
    const dynamic = this.dynamicValues[name];
    const fixed = this.staticValues[name];
    if (dynamic !== undefined) out.push({ name, value: dynamic, source: 'DYNAMIC_BROKER_CONFIG' });
    if (fixed !== undefined) out.push({ name, value: fixed, source: 'STATIC_BROKER_CONFIG' });
    const byDefault = BROKER_CONFIG_DEFAULTS[name];
    if (byDefault !== undefined) out.push({ name, value: byDefault, source: 'DEFAULT_CONFIG' });
    return out;
  }

  /**
   * Sets (value) or reverts to the static value (null) each config, all or
   * none: every change is checked before any is applied.
   */
  alter(changes: readonly { name: string; value: string | null }[], validateOnly = false): void {
    for (const { name, value } of changes) {
      const def = brokerConfigDef(name);
      if (!def) throw new BrokerError('INVALID_CONFIG', `unknown broker config "${name}"`);
      if (!def.dynamic) throw new BrokerError('INVALID_CONFIG', `${name} is read-only: set it with a flag or the config file and restart`);
      const why = value === null ? null : def.check(value);
      if (why) throw new BrokerError('INVALID_CONFIG', `${name}=${value}: ${why}`);
    }
    if (validateOnly) return;
    for (const { name, value } of changes) {
      if (value === null) delete this.dynamicValues[name];
      else this.dynamicValues[name] = value;
    }
    this.changes++;
    this.save();
    for (const { name } of changes) this.onChange(name, this.get(name));
  }

  /** The dynamic configs set now. */
  dynamic(): Record<string, string> {
    return { ...this.dynamicValues };
  }

  /** Makes the dynamic configs exactly these (another node's, mirrored): each one changed is stored and heard of. */
  mirror(values: Record<string, string>): void {
    const names = new Set([...Object.keys(this.dynamicValues), ...Object.keys(values)]);
    const changed = [...names].filter((n) => this.dynamicValues[n] !== values[n]);
    if (changed.length === 0) return;
    this.alter(changed.map((name) => ({ name, value: values[name] ?? null })));
  }

  /**
   * A topic's configs: its own overrides, else the broker's values; a value
   * inherited from the broker says where the broker has it from, as Kafka's do.
   */
  describeTopic(overrides: Record<string, string>): ConfigEntry[] {
    return TOPIC_DEFS.map((d) => {
      const own = overrides[d.name];
      const inherited: ConfigSynonym[] = d.broker ? this.synonyms(d.broker) : [{ name: d.name, value: d.fallback ?? 'delete', source: 'DEFAULT_CONFIG' }];
      const synonyms: ConfigSynonym[] = own !== undefined ? [{ name: d.name, value: own, source: 'DYNAMIC_TOPIC_CONFIG' }, ...inherited] : inherited;
      return configEntry(d, synonyms, own === undefined);
    });
  }

  /** A topic config's value in force: the topic's own, else the broker's (or the fallback). */
  topicValue(name: string, overrides: Record<string, string>): string {
    const def = TOPIC_DEFS.find((d) => d.name === name);
    if (!def) throw new Error(`no topic config ${name}`);
    return overrides[name] ?? (def.broker ? this.get(def.broker) : (def.fallback ?? 'delete'));
  }

  private save(): void {
    if (this.file) writeFileAtomic(this.file, JSON.stringify(this.dynamicValues, null, 2));
  }
}
