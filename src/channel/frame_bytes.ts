// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// Byte-level helpers of the frame encoders (encode_frame.ts and
// encode_data_frames.ts); internal, not part of the public API.

const encoder = new TextEncoder();

/** Writes `value` as a big-endian u32 at `bytes[at]`. */
export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

/** Writes `value` (at most 2^53 - 1) as a big-endian u64 at `bytes[at]`. */
export function writeU64(bytes: Uint8Array, at: number, value: number): void {
  writeU32(bytes, at, Math.floor(value / 0x1_0000_0000));
  writeU32(bytes, at + 4, value >>> 0);
}

/**
 * Writes `json` as UTF-8 after a `headerBytes` header into one buffer of
 * exactly the frame's size, or returns `undefined` when the frame would be
 * larger than `max` bytes. ASCII text (most JSON) takes one allocation and
 * one `encodeInto`; other text continues into a larger buffer, then is cut
 * to size. The header's length and type are written; the rest is the
 * caller's.
 */
export function jsonFrame(
  type: number,
  headerBytes: number,
  json: string,
  max: number,
): Uint8Array | undefined {
  // UTF-8 needs at least one byte per UTF-16 unit.
  if (headerBytes + json.length > max) return undefined;
  let frame = new Uint8Array(headerBytes + json.length);
  let { read, written } = encoder.encodeInto(
    json,
    frame.subarray(headerBytes),
  );
  let size = headerBytes + written;
  if (read < json.length) {
    // Not all ASCII: at most 3 bytes per remaining UTF-16 unit.
    const capacity = Math.min(size + 3 * (json.length - read), max);
    const larger = new Uint8Array(capacity);
    larger.set(frame.subarray(0, size));
    const rest = encoder.encodeInto(
      json.substring(read),
      larger.subarray(size),
    );
    read += rest.read;
    written += rest.written;
    size += rest.written;
    if (read < json.length) return undefined;
    frame = larger.slice(0, size);
  }
  writeU32(frame, 0, size - 4);
  frame[4] = type;
  return frame;
}

/**
 * The JSON of a DATA frame's records, or the `TypeError` that says why there
 * is none (a `BigInt`, a cycle).
 */
export function recordsJson(records: unknown): string {
  try {
    // A record with no JSON form (a function) stands as null in an array.
    return JSON.stringify(records) ?? "null";
  } catch (error) {
    throw new TypeError(
      `Cannot encode DATA frame: DATA.records has no JSON form: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}
