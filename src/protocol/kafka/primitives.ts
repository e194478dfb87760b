// The Kafka protocol's primitive types: their wire forms, limits and the
// shapes of encoded output. reader.ts reads them from a frame, writer.ts
// writes them to a growing buffer. Everything multi-byte is big-endian.
//
//   int8/16/32/64, uint16/32, float64   fixed width (int64 as bigint)
//   bool                                 int8, 0 = false, anything else true
//   uuid                                 16 bytes
//   unsigned varint                      7 bits a byte, low group first, ≤ 5 bytes
//   varint / varlong                     zig-zag, then as unsigned (≤ 5 / ≤ 10 bytes)
//   string          int16 length, UTF-8         (-1 = null when nullable)
//   bytes           int32 length                (-1 = null when nullable)
//   array           int32 count, then elements  (-1 = null when nullable)
//   compact string / bytes / array   unsigned varint of length + 1 (0 = null)
//   tagged fields   unsigned varint count, then per field: unsigned varint tag,
//                   unsigned varint size, that many bytes
//
// The Reader trusts nothing: every read checks that its bytes are there and
// throws a ProtocolError (never a RangeError) when they are not, and every
// length is checked for sign and against the bytes left before anything is
// allocated. Bytes come back as zero-copy views of the frame; strings must
// be valid UTF-8. decodeRequest also bounds a request's array elements and
// tagged fields, all arrays together (MAX_REQUEST_ELEMENTS).
//
// The Writer grows one buffer. Record data that lives in files is not copied
// into it: `records()` with regions writes the length prefix, ends the
// current part and hangs the regions on it, so a fetch response comes out as
// bytes, regions, bytes, regions... for the transfer strategy to send.
import type { FileRegion } from '../../transfer/types.js';

export const INT16_MAX = 0x7fff;
export const INT32_MAX = 0x7fff_ffff;
export const UINT32_MAX = 0xffff_ffff;
export const UNSIGNED_VARINT_MAX_BYTES = 5;
export const VARLONG_MAX_BYTES = 10;
export const UUID_BYTES = 16;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Record data in files: `length` bytes, the sum of the regions' lengths. */
export interface RegionRecords {
  readonly length: number;
  readonly regions: readonly FileRegion[];
}

/** What a `records` field can be written from. */
export type RecordsValue = Buffer | RegionRecords;

/** Bytes built in memory, then file regions sent after them. */
export interface EncodedPart {
  bytes: Buffer;
  regions: FileRegion[];
}

/** An encoded message: its parts back to back; `size` counts bytes and region lengths. */
export interface Encoded {
  parts: EncodedPart[];
  size: number;
}
