// Copyright 2026 the @ca/streams authors. MIT license.
// FrameDecoder holds what arrived of an unfinished frame, not what its
// length prefix announces (issue 10, item 4). FrameDecoder is internal, so
// this test imports the source.
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { encodeFrame } from "./encode_frame.ts";
import { FrameDecoder } from "./frame_decoder.ts";
import { FrameDecoderStream } from "./frame_decoder_stream.ts";

const MiB = 1024 * 1024;

/** The start of a DATA frame announcing `frameBytes`, and `payload` bytes of it. */
function announce(frameBytes: number, payload: number): Uint8Array {
  const bytes = new Uint8Array(5 + payload);
  new DataView(bytes.buffer).setUint32(0, frameBytes - 4);
  bytes[4] = 3; // DATA
  return bytes;
}

/** A decoder that takes 32 MiB frames from the first frame on. */
const roomy = () =>
  new FrameDecoder({
    maxFrameBytes: 32 * MiB,
    handshakeMaxFrameBytes: 32 * MiB,
  });

test("a peer announcing a 16 MiB frame and sending 10 bytes makes the decoder hold about 10 bytes", () => {
  const decoder = roomy();
  // 4 length bytes, the type byte and 5 bytes of payload.
  assert.deepEqual(decoder.push(announce(16 * MiB, 5)), []);
  assert.ok(
    decoder.bufferedBytes <= 10,
    `holds ${decoder.bufferedBytes} bytes after 10`,
  );
  // The length prefix alone, cut from the rest, holds nothing more.
  const cut = roomy();
  const start = announce(16 * MiB, 5);
  cut.push(start.subarray(0, 2));
  cut.push(start.subarray(2, 4));
  assert.ok(cut.bufferedBytes <= 4, `holds ${cut.bufferedBytes} bytes after 4`);
  cut.push(start.subarray(4));
  assert.ok(
    cut.bufferedBytes <= 10,
    `holds ${cut.bufferedBytes} bytes after 10`,
  );
});

test("the memory held by stalled frames follows the bytes sent, not the lengths announced", () => {
  // Seen from outside the decoder: eight stalled 16 MiB frames would take
  // 128 MiB of ArrayBuffer memory (`external`) if the announced length
  // were allocated.
  const before = process.memoryUsage().external;
  const decoders = Array.from({ length: 8 }, () => {
    const decoder = roomy();
    decoder.push(announce(16 * MiB, 5));
    return decoder;
  });
  const grown = process.memoryUsage().external - before;
  assert.ok(grown < 8 * MiB, `${(grown / MiB).toFixed(1)} MiB held`);
  assert.equal(decoders.length, 8);
});

test("the buffer grows as bytes arrive, at most twice what arrived, and the frame decodes whole", () => {
  const records = Array.from({ length: 2000 }, (_, i) => ({ i, s: "é€😀" }));
  const frame = encodeFrame({ type: "data", seq: 7, records });
  for (const step of [1, 7, 1000, 65536]) {
    const decoder = roomy();
    let out: unknown[] = [];
    for (let at = 0; at < frame.length; at += step) {
      out = decoder.push(frame.subarray(at, at + step));
      const arrived = Math.min(at + step, frame.length);
      if (out.length === 0) {
        assert.ok(
          decoder.bufferedBytes <= 2 * arrived + 5,
          `step ${step}: holds ${decoder.bufferedBytes} after ${arrived} bytes`,
        );
      }
    }
    assert.deepEqual(out, [{ type: "data", seq: 7, records }], `step ${step}`);
    assert.equal(decoder.bufferedBytes, 0);
    decoder.end();
  }
});

test("a frame cut across chunks still ends with a clear error when the input stops inside it", () => {
  const decoder = roomy();
  decoder.push(announce(1 * MiB, 100));
  assert.throws(
    () => decoder.end(),
    /input ended inside a frame, after 105 of its 1048576 bytes/,
  );
});

test("FrameDecoderStream holds what arrived of a stalled frame", async () => {
  const stream = new FrameDecoderStream({
    maxFrameBytes: 32 * MiB,
    handshakeMaxFrameBytes: 32 * MiB,
  });
  const writer = stream.writable.getWriter();
  // A pending read lifts the stream's backpressure, so writes reach the decoder.
  const reading = stream.readable.getReader().read();
  reading.catch(() => {});
  const before = process.memoryUsage().external;
  await writer.write(announce(16 * MiB, 5));
  const grown = process.memoryUsage().external - before;
  assert.ok(grown < 4 * MiB, `${(grown / MiB).toFixed(1)} MiB held`);
  await writer.abort(new Error("test over"));
});
