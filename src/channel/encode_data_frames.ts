// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { DATA_HEADER_BYTES, FRAME_TYPE } from "./frame_types.ts";
import { jsonFrame, recordsJson, writeU32, writeU64 } from "./frame_bytes.ts";
import { utf8Length } from "./payload_checks.ts";

/** Limits of {@linkcode encodeDataFrames}. */
export interface DataFrameLimits {
  /** The most records in one frame (the writer's `batchRecords`). */
  maxRecords: number;
  /** The largest frame, in bytes with its length prefix. */
  maxFrameBytes: number;
  /**
   * Whose limit `maxFrameBytes` is, for the error about a record too large
   * for any frame (default `"maxFrameBytes"`), such as `"the reader's
   * maxFrameBytes"`.
   */
  limitName?: string;
}

/** One DATA frame of a batch and the records it carries. */
export interface DataFrame<T> {
  /** The frame's bytes; the frame owns its whole buffer. */
  frame: Uint8Array;
  /** Its records, a slice of the batch (or the batch itself). */
  records: T[];
}

/** The bytes of a DATA frame beyond its records' JSON: header, `[` and `]`. */
const OVERHEAD = DATA_HEADER_BYTES + 2;

/**
 * Encodes a batch as consecutive DATA frames numbered from `firstSeq`, each
 * with at most `maxRecords` records and `maxFrameBytes` bytes, in as few
 * frames as the order allows. A batch that fits (the common case) costs one
 * `JSON.stringify` and one `encodeInto` per frame, as `encodeFrame()` does;
 * only a batch whose frame would be too large is encoded a record at a time
 * and packed greedily.
 *
 * Nothing is returned unless the whole batch encodes: a record with no
 * JSON form or one too large for a frame of its own throws.
 *
 * @param firstSeq The first frame's sequence number.
 * @param records The batch, at least one record.
 * @param limits `maxRecords`, `maxFrameBytes` and the limit's name.
 * @returns The frames in seq order, with the records of each.
 * @throws {TypeError} A record has no JSON form (a `BigInt`, a cycle).
 * @throws {RangeError} A record's DATA frame alone is above `maxFrameBytes`;
 * the message names the record's index, the frame's size and the limit.
 */
export function encodeDataFrames<T>(
  firstSeq: number,
  records: T[],
  limits: DataFrameLimits,
): DataFrame<T>[] {
  const { maxRecords, maxFrameBytes: max } = limits;
  if (
    !Number.isSafeInteger(firstSeq) || firstSeq < 1 ||
    // At most one frame per record.
    firstSeq + records.length - 1 > CHANNEL_PROTOCOL.maxSeq
  ) {
    throw new RangeError(
      `Cannot encode DATA frames: the sequence numbers from ${firstSeq} are not integers from 1 to ${CHANNEL_PROTOCOL.maxSeq}`,
    );
  }
  const out: DataFrame<T>[] = [];
  for (let at = 0; at < records.length; at += maxRecords) {
    const chunk = at === 0 && records.length <= maxRecords
      ? records
      : records.slice(at, at + maxRecords);
    const json = recordsJson(chunk);
    const frame = dataFrame(firstSeq + out.length, chunk.length, json, max);
    if (frame !== undefined) out.push({ frame, records: chunk });
    else split(firstSeq, chunk, at, limits, out);
  }
  return out;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** UTF-8 length of JSON text: its length when ASCII (found natively), or counted. */
function byteLength(json: string): number {
  return NON_ASCII.test(json) ? utf8Length(json) : json.length;
}

function dataFrame(
  seq: number,
  count: number,
  json: string,
  max: number,
): Uint8Array | undefined {
  const frame = jsonFrame(FRAME_TYPE.data, DATA_HEADER_BYTES, json, max);
  if (frame === undefined) return undefined;
  writeU64(frame, 5, seq);
  writeU32(frame, 13, count);
  return frame;
}

/**
 * Encodes a chunk too large for one frame record by record, and packs the
 * records greedily into frames: each frame as full as `max` allows.
 * `offset` is the chunk's index in the batch, for the error message.
 */
function split<T>(
  firstSeq: number,
  chunk: T[],
  offset: number,
  limits: DataFrameLimits,
  out: DataFrame<T>[],
): void {
  const max = limits.maxFrameBytes;
  const parts = chunk.map(recordsJson);
  const sizes = parts.map(byteLength);
  let from = 0;
  while (from < chunk.length) {
    let bytes = OVERHEAD + sizes[from]!;
    if (bytes > max) {
      throw new RangeError(
        `Cannot send record ${
          offset + from
        } of the batch: its DATA frame alone needs ${bytes} bytes, above ${
          limits.limitName ?? "maxFrameBytes"
        } ${max}`,
      );
    }
    let to = from + 1;
    // One more byte for each comma.
    while (to < chunk.length && bytes + 1 + sizes[to]! <= max) {
      bytes += 1 + sizes[to]!;
      to++;
    }
    const json = `[${parts.slice(from, to).join(",")}]`;
    const seq = firstSeq + out.length;
    // The size is exact, so the frame fits.
    out.push({
      frame: dataFrame(seq, to - from, json, max)!,
      records: chunk.slice(from, to),
    });
    from = to;
  }
}
