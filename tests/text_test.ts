// The NDJSON and line helpers, alone and inside pipeline().
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  collect,
  decodeNdjson,
  encodeNdjson,
  map,
  pipeline,
  splitLines,
  StageError,
} from "@ca/streams";

const bytes = (text: string) => new TextEncoder().encode(text);
/** Splits bytes into chunks of `size`, cutting multi-byte characters. */
function chunked(data: Uint8Array, size: number): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) {
    chunks.push(data.subarray(i, i + size));
  }
  return ReadableStream.from(chunks);
}

describe("splitLines()", () => {
  test("splits across chunk boundaries, \\r\\n and multi-byte characters", async () => {
    const text = "héllo wörld\r\nsecond 🚀 line\n\nlast without newline";
    for (const size of [1, 2, 3, 7, 1000]) {
      const lines = await Array.fromAsync(
        chunked(bytes(text), size).pipeThrough(splitLines()),
      );
      assert.deepEqual(lines, [
        "héllo wörld",
        "second 🚀 line",
        "",
        "last without newline",
      ], `chunk size ${size}`);
    }
  });

  test("rejects chunks that are neither bytes nor text", async () => {
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from([42 as never]).pipeThrough(splitLines()),
      ),
      /chunk 0 must be a Uint8Array or a string, got number/,
    );
  });
});

describe("NDJSON", () => {
  test("decodes, skips blank lines, and names the bad line", async () => {
    const rows = await Array.fromAsync(
      chunked(bytes('{"a":1}\n\n{"a":2}\r\n'), 3).pipeThrough(decodeNdjson()),
    );
    assert.deepEqual(rows, [{ a: 1 }, { a: 2 }]);
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from(['{"a":1}\n{"a":\n']).pipeThrough(decodeNdjson()),
      ),
      (error: unknown) =>
        error instanceof SyntaxError &&
        /Cannot parse NDJSON line 2/.test(error.message),
    );
  });

  test("encode then decode round-trips 10,000 records through pipeline()", async () => {
    const input = Array.from({ length: 10_000 }, (_, id) => ({
      id,
      name: `n${id} ✓`,
    }));
    const encoded = collect<Uint8Array>();
    await pipeline(input, encodeNdjson(), encoded);
    const decoder = new TextDecoder();
    const text = encoded.records
      .map((chunk) => decoder.decode(chunk, { stream: true }))
      .join("");
    assert.equal(text.split("\n").length, 10_001);
    const decoded = collect<unknown>();
    await pipeline(
      chunked(bytes(text), 4096),
      decodeNdjson(),
      map((row) => row),
      decoded,
    );
    assert.deepEqual(decoded.records, input);
  });

  test("a bad line fails the pipeline at the decoding stage", async () => {
    await assert.rejects(
      Promise.resolve(
        pipeline(
          ReadableStream.from(["1\n2\nnot json\n"]),
          decodeNdjson(),
          new WritableStream(),
        ),
      ),
      (error: unknown) =>
        error instanceof StageError && error.stageIndex === 0 &&
        error.stageName === "decodeNdjson" &&
        /line 3/.test((error.cause as Error).message),
    );
  });

  test("encodeNdjson() refuses values without JSON text", async () => {
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from([1, undefined]).pipeThrough(encodeNdjson()),
      ),
      /Cannot encode NDJSON record 1: undefined has no JSON text/,
    );
  });
});
