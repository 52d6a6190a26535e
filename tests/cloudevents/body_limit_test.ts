// Copyright 2026 the @ca/streams authors. MIT license.
// maxBodyBytes holds whatever content-length says: the bytes of a body are
// counted as they stream in and the body is cancelled at the limit, so a
// header that understates the body (a proxy that decompressed it and kept
// the length) or is not a number never makes the reader buffer it all; a
// content-length that is not a number is answered 400, naming the header.
// Runs on Deno against the source and on Node 24 against the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CloudEventError,
  cloudEventsReader,
  decodeHttp,
  encodeHttpStructured,
} from "@ca/streams/cloudevents";

const LIMIT = 64 * 1024;
const CHUNK = 16 * 1024;
const HUGE = 200 * 1024 * 1024;

/**
 * A byte stream (`bytes`), as a server's request bodies are, or a plain
 * one: the reader must stop pulling either way.
 */
function streamOf(
  source: UnderlyingDefaultSource<Uint8Array>,
  bytes: boolean,
): ReadableStream<Uint8Array> {
  return bytes
    ? new ReadableStream({
      type: "bytes",
      ...source,
    } as UnderlyingByteSource) as ReadableStream<Uint8Array>
    : new ReadableStream<Uint8Array>(source, { highWaterMark: 0 });
}

/** A body of `total` bytes (spaces: valid JSON padding) that counts what was pulled. */
function countingBody(total: number, bytes: boolean) {
  const counter = { pulled: 0, cancelled: false };
  const source = {
    pull(controller: ReadableStreamDefaultController<Uint8Array>) {
      const size = Math.min(CHUNK, total - counter.pulled);
      counter.pulled += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
      if (counter.pulled >= total) controller.close();
    },
    cancel() {
      counter.cancelled = true;
    },
  };
  return { stream: streamOf(source, bytes), counter };
}

function post(
  body: ReadableStream<Uint8Array> | string,
  headers: Record<string, string>,
): Request {
  const init: RequestInit & { duplex?: "half" } = {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json", ...headers },
    body,
  };
  if (body instanceof ReadableStream) init.duplex = "half";
  return new Request("http://reader.test/", init);
}

/** At most this much may be pulled past the limit (chunks in flight). */
const SLACK = 4 * CHUNK;

for (const bytes of [true, false]) {
  describe(`cloudEventsReader() and decodeHttp() body limit, ${bytes ? "byte" : "plain"} streams`, () => {
    for (
      const [label, headers] of [
        ["content-length understates the body", { "content-length": "100" }],
        ["content-length is absent", {}],
      ] as const
    ) {
      test(`413 after about maxBodyBytes when ${label}`, async () => {
        const reader = cloudEventsReader({ maxBodyBytes: LIMIT });
        const { stream, counter } = countingBody(HUGE, bytes);
        const response = await reader.fetch(post(stream, headers));
        await response.body?.cancel();
        assert.equal(response.status, 413);
        assert.ok(
          counter.pulled <= LIMIT + SLACK,
          `pulled ${counter.pulled} bytes for a limit of ${LIMIT}`,
        );
        assert.equal(counter.cancelled, true, "the body was cancelled");
        reader.close();
      });
    }

    for (const value of ["abc", "-1", "1e3", "10, 10", "0x10", ""]) {
      test(`400 naming content-length for ${JSON.stringify(value)}`, async () => {
        const reader = cloudEventsReader({ maxBodyBytes: LIMIT });
        const { stream, counter } = countingBody(HUGE, bytes);
        const response = await reader.fetch(
          post(stream, { "content-length": value }),
        );
        assert.equal(response.status, 400);
        const body = await response.json();
        assert.equal(body.code, "CA_ERR_CLOUDEVENT");
        assert.match(body.message, /content-length/);
        assert.deepEqual(body.issues[0].path, []);
        assert.match(body.issues[0].message, /^content-length: /);
        assert.ok(counter.pulled <= SLACK, `pulled ${counter.pulled} bytes`);
        reader.close();
      });
    }

    test("413 before any read when content-length is above the limit", async () => {
      const { stream, counter } = countingBody(HUGE, bytes);
      const request = post(stream, { "content-length": String(HUGE) });
      const error = await decodeHttp(request, { maxBodyBytes: LIMIT }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(error instanceof CloudEventError);
      assert.equal(error.status, 413);
      assert.ok(counter.pulled <= SLACK, `pulled ${counter.pulled} bytes`);
    });

    test("decodeHttp() stops pulling at the limit when content-length understates", async () => {
      const { stream, counter } = countingBody(HUGE, bytes);
      const request = post(stream, { "content-length": "1" });
      const error = await decodeHttp(request, { maxBodyBytes: LIMIT }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(error instanceof CloudEventError);
      assert.equal(error.status, 413);
      assert.ok(counter.pulled <= LIMIT + SLACK, `pulled ${counter.pulled}`);
    });

    test("a body under the limit is read whole whatever content-length says", async () => {
      const message = encodeHttpStructured({
        specversion: "1.0",
        id: "1",
        source: "/s",
        type: "t",
        data: { text: "x".repeat(3 * CHUNK) },
      });
      const text = message.body as string;
      for (const length of ["10", String(text.length), String(LIMIT)]) {
        const chunks = [text.slice(0, 100), text.slice(100)];
        const source = {
          pull(controller: ReadableStreamDefaultController<Uint8Array>) {
            const next = chunks.shift();
            if (next === undefined) controller.close();
            else controller.enqueue(new TextEncoder().encode(next));
          },
        };
        const stream = streamOf(source, bytes);
        const [event] = await decodeHttp<{ text: string }>(
          post(stream, { "content-length": length }),
          { maxBodyBytes: LIMIT },
        );
        assert.equal(event?.data?.text.length, 3 * CHUNK, `length ${length}`);
      }
    });
  });
}
