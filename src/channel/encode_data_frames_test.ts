// Copyright 2026 the @ca/streams authors. MIT license.
// encodeDataFrames() cuts a batch into DATA frames that fit a size limit
// (issue 10, item 1). It is internal, so this test imports the source.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFrames } from "./decode_frames.ts";
import { encodeDataFrames } from "./encode_data_frames.ts";
import { encodeFrame } from "./encode_frame.ts";

/** Records of varied sizes and scripts: ASCII, accents, emoji, escapes, lone surrogates. */
function records(n: number, seed = 1): unknown[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = ["a", "é", "€", "😀", '"', "\n", "\ud800", "\\"];
  return Array.from({ length: n }, (_, i) => {
    const length = Math.floor(next() * 300);
    let s = "";
    for (let k = 0; k < length; k++) {
      s += alphabet[Math.floor(next() * alphabet.length)];
    }
    return i % 7 === 3 ? [i, s, null, undefined] : { i, s };
  });
}

test("every frame fits the limit, seqs follow each other, and the records come back whole and in order", () => {
  const batch = records(500);
  // What one frame would carry: JSON semantics (undefined in an array is null).
  const expected = (decodeFrames(
    encodeFrame({ type: "data", seq: 1, records: batch }),
  )[0] as { records: unknown[] }).records;
  for (const max of [1024, 1500, 4096, 65536, 1 << 24]) {
    const frames = encodeDataFrames(10, batch, {
      maxRecords: 1024,
      maxFrameBytes: max,
    });
    const decoded = frames.map(({ frame }) => {
      assert.ok(frame.length <= max, `a frame of ${frame.length} > ${max}`);
      assert.equal(frame.buffer.byteLength, frame.length, "owns its buffer");
      const [message] = decodeFrames(frame);
      assert.equal(message?.type, "data");
      return message as { seq: number; records: unknown[] };
    });
    assert.deepEqual(decoded.map((m) => m.seq), frames.map((_, i) => 10 + i));
    assert.deepEqual(decoded.flatMap((m) => m.records), expected, `max ${max}`);
    assert.deepEqual(frames.flatMap((f) => f.records), batch, `max ${max}`);
    // Packed greedily: the next record would not have fitted any frame.
    for (let i = 0; i + 1 < frames.length; i++) {
      const more = [...frames[i]!.records, frames[i + 1]!.records[0]];
      const bigger = encodeFrame({ type: "data", seq: 1, records: more }, {
        maxFrameBytes: 1 << 30,
      });
      assert.ok(bigger.length > max, `frame ${i} could hold one more`);
    }
  }
});

test("a batch that fits is one frame, the same bytes as encodeFrame()", () => {
  const batch = records(100, 7);
  const [only, ...rest] = encodeDataFrames(3, batch, {
    maxRecords: 1024,
    maxFrameBytes: 1 << 24,
  });
  assert.equal(rest.length, 0);
  assert.deepEqual(
    only!.frame,
    encodeFrame({ type: "data", seq: 3, records: batch }),
  );
});

test("maxRecords bounds each frame's count as well", () => {
  const frames = encodeDataFrames(1, records(10), {
    maxRecords: 4,
    maxFrameBytes: 1 << 24,
  });
  assert.deepEqual(frames.map((f) => f.records.length), [4, 4, 2]);
});

test("a record too large for a frame of its own is a RangeError naming its index, its size and the limit", () => {
  const batch = [{ a: 1 }, { big: "é".repeat(600) }];
  const size = 17 + 2 + new TextEncoder().encode(JSON.stringify(batch[1]))
    .length;
  assert.throws(
    () =>
      encodeDataFrames(1, batch, {
        maxRecords: 1024,
        maxFrameBytes: 1024,
        limitName: "the reader's maxFrameBytes",
      }),
    (error: Error) =>
      error instanceof RangeError &&
      error.message ===
        `Cannot send record 1 of the batch: its DATA frame alone needs ${size} bytes, above the reader's maxFrameBytes 1024`,
  );
});

test("a record with no JSON form is a TypeError, as with encodeFrame()", () => {
  assert.throws(
    () =>
      encodeDataFrames(1, [1, 2n], { maxRecords: 1024, maxFrameBytes: 1024 }),
    (error: Error) =>
      error instanceof TypeError && /has no JSON form/.test(error.message),
  );
});
