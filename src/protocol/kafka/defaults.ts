// Field defaults, as Kafka's generated code has them: what an absent field
// decodes to, what an encoder writes when a field is left out, and whether
// a value equals its default (a version without the field may drop only that).
import { ZERO_UUID } from './primitives.js';
import { camel, isArrayType, type Field } from './schema.js';

/** A field's value when absent, as Kafka's generated code defaults it. */
export function defaultOf(field: Field): unknown {
  const d = field.default;
  if (isArrayType(field.type)) return d === null ? null : [];
  if (field.fields !== undefined) return d === null ? null : defaultStruct(field.fields);
  switch (field.type) {
    case 'bool':
      return d ?? false;
    case 'int64':
      return BigInt(d ?? 0);
    case 'string':
      return d === undefined ? '' : d;
    case 'uuid':
      return d ?? ZERO_UUID;
    case 'bytes':
      return d === null ? null : Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return Number(d ?? 0);
  }
}

export function defaultStruct(fields: readonly Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[camel(f.name)] = defaultOf(f);
  return out;
}

/** Rejects a declared default that cannot be the field's value (a typo in a table). */
export function checkDefault(field: Field, where: string): void {
  const d = field.default;
  if (d === undefined) return;
  if (d === null) {
    if (field.nullableVersions === undefined) throw new Error(`${where}: default null on a field that is never nullable`);
    return;
  }
  const type = field.fields !== undefined || isArrayType(field.type) ? 'array or struct' : field.type;
  const ok =
    type === 'bool'
      ? typeof d === 'boolean'
      : type === 'string' || type === 'uuid'
        ? typeof d === 'string'
        : type === 'array or struct' || type === 'bytes' || type === 'records'
          ? false
          : type === 'int64' && typeof d === 'string'
            ? /^-?\d+$/.test(d) && BigInt.asIntN(64, BigInt(d)) === BigInt(d)
            : typeof d === 'number' && Number.isInteger(d);
  if (!ok) throw new Error(`${where}: default ${JSON.stringify(d)} does not fit type ${field.type}`);
}

/** Whether writing `value` would say nothing the default does not. */
export function isDefault(field: Field, value: unknown): boolean {
  if (value === undefined) return true;
  const d = defaultOf(field);
  if (value === null || d === null) return value === d;
  if (isArrayType(field.type)) return Array.isArray(value) && value.length === 0;
  if (field.fields !== undefined) {
    if (typeof value !== 'object') return false;
    const obj = value as Record<string, unknown>;
    return field.fields.every((f) => isDefault(f, obj[camel(f.name)]));
  }
  switch (field.type) {
    case 'int64':
      return (typeof value === 'bigint' || typeof value === 'number') && BigInt(value) === d;
    case 'bytes':
      return value instanceof Uint8Array && value.length === 0;
    default:
      return value === d;
  }
}
