// Protobuf's wire format as a tree the fuzzer can cut into: each field's
// number, wire type and payload, with the schema's word on what the field
// is (string, bytes, enum, number, nested message, map entry), so that a
// mutation can aim (bad UTF-8 into a string, an unknown value into an enum,
// 2^63 into a queue id) at any depth and the tree encodes again, lies and all.
import protobuf from 'protobufjs';

export type FieldKind = 'message' | 'string' | 'bytes' | 'enum' | 'varint' | 'fixed32' | 'fixed64' | 'packed';

export interface FieldInfo {
  kind: FieldKind;
  name: string;
  repeated: boolean;
  /** For messages (and map entries): the schema of the nested fields. */
  schema?: Schema;
  /** For enums: the values it has. */
  values?: number[];
  /** The scalar type's name (int32, uint64, bool, ...). */
  scalar?: string;
}

export type Schema = (fieldNo: number) => FieldInfo | undefined;

export interface WireNode {
  no: number;
  wt: number;
  /** Wire type 0. */
  varint?: bigint;
  /** Wire types 1, 5, and 2 when not parsed further. */
  data?: Buffer;
  /** Wire type 2 of a nested message. */
  children?: WireNode[];
  info?: FieldInfo;
  /** Bytes emitted verbatim instead of this node's own encoding: lies the encoder would not tell. */
  raw?: Buffer;
}

const VARINT_SCALARS = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64 = new Set(['double', 'fixed64', 'sfixed64']);
const FIXED32 = new Set(['float', 'fixed32', 'sfixed32']);
const schemas = new Map<protobuf.Type, Schema>();

function scalarInfo(name: string, scalar: string, repeated: boolean): FieldInfo {
  if (scalar === 'string') return { kind: 'string', name, repeated };
  if (scalar === 'bytes') return { kind: 'bytes', name, repeated };
  if (VARINT_SCALARS.has(scalar)) return { kind: 'varint', name, repeated, scalar };
  if (FIXED64.has(scalar)) return { kind: 'fixed64', name, repeated, scalar };
  if (FIXED32.has(scalar)) return { kind: 'fixed32', name, repeated, scalar };
  throw new Error(`unknown scalar ${scalar}`);
}

/** What a message type's fields are, by number. */
export function schemaOf(type: protobuf.Type): Schema {
  const known = schemas.get(type);
  if (known) return known;
  const byNo = new Map<number, FieldInfo>();
  const schema: Schema = (no) => byNo.get(no);
  schemas.set(type, schema);
  for (const f of type.fieldsArray) {
    f.resolve();
    if (f instanceof protobuf.MapField) {
      const value: FieldInfo = f.resolvedType instanceof protobuf.Type ? { kind: 'message', name: 'value', repeated: false, schema: schemaOf(f.resolvedType) } : f.resolvedType instanceof protobuf.Enum ? { kind: 'enum', name: 'value', repeated: false, values: Object.values(f.resolvedType.values) } : scalarInfo('value', f.type, false);
      const entry = new Map<number, FieldInfo>([[1, scalarInfo('key', f.keyType, false)], [2, value]]);
      byNo.set(f.id, { kind: 'message', name: f.name, repeated: true, schema: (no) => entry.get(no) });
    } else if (f.resolvedType instanceof protobuf.Type) {
      byNo.set(f.id, { kind: 'message', name: f.name, repeated: f.repeated, schema: schemaOf(f.resolvedType) });
    } else if (f.resolvedType instanceof protobuf.Enum) {
      byNo.set(f.id, { kind: 'enum', name: f.name, repeated: f.repeated, values: Object.values(f.resolvedType.values) });
    } else {
      byNo.set(f.id, scalarInfo(f.name, f.type, f.repeated));
    }
  }
  return schema;
}

// ---- reading ------------------------------------------------------------

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.buf.length || shift > 63n) throw new Error('bad varint');
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  }
  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) throw new Error('truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Parses a valid encoding (one protobufjs made) into a tree, nested messages and all. */
export function parseWire(buf: Buffer, schema: Schema | undefined): WireNode[] {
  const r = new Reader(buf);
  const out: WireNode[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint();
    const no = Number(tag >> 3n);
    const wt = Number(tag & 7n);
    const info = schema?.(no);
    if (wt === 0) out.push({ no, wt, varint: r.varint(), info });
    else if (wt === 1) out.push({ no, wt, data: r.take(8), info });
    else if (wt === 5) out.push({ no, wt, data: r.take(4), info });
    else if (wt === 2) {
      const data = r.take(Number(r.varint()));
      if (info?.kind === 'message') out.push({ no, wt, children: parseWire(data, info.schema), info });
      else out.push({ no, wt, data, info: info?.kind === 'varint' || info?.kind === 'enum' || info?.kind === 'fixed32' || info?.kind === 'fixed64' ? { ...info, kind: 'packed' } : info });
    } else throw new Error(`wire type ${wt} in a valid encoding`);
  }
  return out;
}

// ---- writing ------------------------------------------------------------

export function varintBytes(v: bigint): Buffer {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  return Buffer.from(out);
}

/** `v` in `length` bytes: redundant continuation bytes, as a lenient encoder may write (over 10 is invalid). */
export function overlongVarint(v: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < length; i++) {
    out[i] = Number(x & 0x7fn) | (i < length - 1 ? 0x80 : 0);
    x >>= 7n;
  }
  return out;
}

export function tagBytes(no: number, wt: number): Buffer {
  return varintBytes((BigInt(no) << 3n) | BigInt(wt));
}

export function encodeWire(nodes: readonly WireNode[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of nodes) {
    if (n.raw) {
      parts.push(n.raw);
      continue;
    }
    parts.push(tagBytes(n.no, n.wt));
    if (n.wt === 0) parts.push(varintBytes(n.varint ?? 0n));
    else if (n.wt === 2) {
      const payload = n.children ? encodeWire(n.children) : (n.data ?? Buffer.alloc(0));
      parts.push(varintBytes(BigInt(payload.length)), payload);
    } else parts.push(n.data ?? Buffer.alloc(n.wt === 1 ? 8 : 4));
  }
  return Buffer.concat(parts);
}

/** Every node of the tree with the list that holds it, depth first. */
export function flatten(nodes: WireNode[], out: { node: WireNode; siblings: WireNode[]; depth: number }[] = [], depth = 0): { node: WireNode; siblings: WireNode[]; depth: number }[] {
  for (const n of nodes) {
    out.push({ node: n, siblings: nodes, depth });
    if (n.children) flatten(n.children, out, depth + 1);
  }
  return out;
}
