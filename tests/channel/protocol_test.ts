// The channel protocol's frames (docs/protocol.md): the test vectors both
// ways, frames cut at every point, the encoder's checks, and a fuzz test of
// the decoder. Imports the source, not the package: the frame codec
// (encodeFrame, decodeFrames, FrameDecoder) is internal, not exported.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import vectors from "./vectors.json" with { type: "json" };
import type { ChannelMessage } from "../../src/channel/channel_message.ts";
import { ChannelProtocolError } from "../../src/channel/channel_protocol_error.ts";
import { ChannelAuthError } from "../../src/channel/channel_auth_error.ts";
import { CHANNEL_PROTOCOL } from "../../src/channel/channel_protocol.ts";
import { CLOSE_CODES } from "../../src/channel/close_codes.ts";
import { decodeFrames } from "../../src/channel/decode_frames.ts";
import { encodeFrame } from "../../src/channel/encode_frame.ts";
import {
  FrameDecoder,
  type FrameDecoderOptions,
} from "../../src/channel/frame_decoder.ts";
import { FrameDecoderStream } from "../../src/channel/frame_decoder_stream.ts";

const DEFAULT_MAX = CHANNEL_PROTOCOL.defaultMaxFrameBytes;

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}
function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A decoder with no smaller first-frame limit, for input that is not a connection's start. */
function plainDecoder(maxFrameBytes = DEFAULT_MAX): FrameDecoder {
  return new FrameDecoder({
    maxFrameBytes,
    handshakeMaxFrameBytes: maxFrameBytes,
  });
}

/** Feeds `bytes` cut at `cuts` (sorted offsets) and returns every message. */
function decodeCut(
  bytes: Uint8Array,
  cuts: number[],
  decoder = plainDecoder(),
): ChannelMessage[] {
  const out: ChannelMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...decoder.push(bytes.subarray(from, cut)));
    from = cut;
  }
  decoder.end();
  return out;
}

/** Asserts that `fn` throws a ChannelProtocolError and returns it. */
function protocolError(fn: () => unknown, what: string): ChannelProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChannelProtocolError) return error;
    assert.fail(`${what}: threw ${String(error)}, not a ChannelProtocolError`);
  }
  assert.fail(`${what}: decoded without an error`);
}

const valid = vectors.valid as {
  name: string;
  message: ChannelMessage;
  hex: string;
  canonical: boolean;
}[];
const invalid = vectors.invalid as {
  name: string;
  hex: string;
  closeCode: number;
  path?: string;
  options?: FrameDecoderOptions;
}[];

describe("channel test vectors", () => {
  test("encodeFrame() writes the bytes of every canonical vector", () => {
    let count = 0;
    for (const vector of valid) {
      if (!vector.canonical) continue;
      const bytes = encodeFrame(vector.message);
      assert.equal(toHex(bytes), vector.hex, vector.name);
      // The frame owns its whole buffer, so it can be transferred.
      assert.equal(bytes.byteOffset, 0, vector.name);
      assert.equal(bytes.buffer.byteLength, bytes.length, vector.name);
      count++;
    }
    assert.ok(count >= 20, `only ${count} canonical vectors`);
  });

  test("decodeFrames() reads the message of every valid vector", () => {
    for (const vector of valid) {
      assert.deepEqual(
        decodeFrames(fromHex(vector.hex)),
        [vector.message],
        vector.name,
      );
    }
  });

  test("every invalid vector fails with its close code and field", () => {
    for (const vector of invalid) {
      const max = vector.options?.maxFrameBytes ?? DEFAULT_MAX;
      const decoder = new FrameDecoder({
        maxFrameBytes: max,
        handshakeMaxFrameBytes: vector.options?.handshakeMaxFrameBytes ?? max,
      });
      const error = protocolError(() => {
        decoder.push(fromHex(vector.hex));
        decoder.end();
      }, vector.name);
      assert.equal(error.code, "CA_ERR_PROTOCOL", vector.name);
      assert.equal(
        error.closeCode,
        vector.closeCode,
        `${vector.name}: ${error.message}`,
      );
      if (vector.path) {
        assert.equal(
          error.path,
          vector.path,
          `${vector.name}: ${error.message}`,
        );
      }
      assert.match(error.message, /^Cannot decode channel frame at byte \d+: /);
      assert.ok(decoder.bufferedBytes <= max, vector.name);
    }
  });

  test("the vectors cover every frame type and every close code of decoding", () => {
    const types = new Set(valid.map((v) => v.message.type));
    assert.deepEqual([...types].sort(), [
      "ack",
      "close",
      "credit",
      "data",
      "heartbeat",
      "hello",
      "welcome",
    ]);
    const codes = new Set(invalid.map((v) => v.closeCode));
    assert.deepEqual([...codes].sort(), [4000, 4002, 4003]);
  });
});

describe("FrameDecoder", () => {
  const all = concat(valid.map((v) => fromHex(v.hex)));
  const expected = valid.map((v) => v.message);

  test("decodes every vector back to back, cut at every single point", () => {
    for (let cut = 0; cut <= all.length; cut++) {
      assert.deepEqual(decodeCut(all, [cut]), expected, `cut at ${cut}`);
    }
  });

  test("decodes one frame of each type, cut at every pair of points", () => {
    const pick = ["ACK 1", "CREDIT 16", "HEARTBEAT, empty", "CLOSE 1001"];
    const small = concat([
      encodeFrame({ type: "hello", ...smallHello }),
      encodeFrame(smallWelcome),
      encodeFrame({ type: "data", seq: 5, records: [{ a: "é" }, 2] }),
      ...pick.map((name) => fromHex(valid.find((v) => v.name === name)!.hex)),
      encodeFrame({ type: "heartbeat", time: 99 }),
    ]);
    const want = decodeFrames(small);
    assert.equal(want.length, 8);
    let splits = 0;
    for (let a = 0; a <= small.length; a++) {
      for (let b = a; b <= small.length; b++) {
        assert.deepEqual(decodeCut(small, [a, b]), want, `cuts at ${a}, ${b}`);
        splits++;
      }
    }
    assert.ok(splits > 10_000, `${splits} splits`);
  });

  test("decodes every vector fed one byte at a time", () => {
    const cuts = Array.from({ length: all.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(decodeCut(all, cuts), expected);
  });

  test("refuses an oversized frame from its length prefix, before any payload", () => {
    const decoder = plainDecoder(1024);
    // 1021 + 4 = 1025 bytes: one above the limit.
    const error = protocolError(
      () => decoder.push(new Uint8Array([0, 0, 0x03, 0xfd])),
      "oversized",
    );
    assert.equal(error.closeCode, CLOSE_CODES.FrameTooLarge);
    assert.equal(decoder.bufferedBytes, 0);
    // A frame of exactly the limit is held while it arrives, and decodes.
    const records = ["x".repeat(1024 - 17 - 4)];
    const frame = encodeFrame({ type: "data", seq: 1, records });
    assert.equal(frame.length, 1024);
    const fresh = plainDecoder(1024);
    assert.deepEqual(fresh.push(frame.subarray(0, 5)), []);
    assert.ok(fresh.bufferedBytes <= 1024);
    assert.deepEqual(fresh.push(frame.subarray(5)), [
      { type: "data", seq: 1, records },
    ]);
    assert.equal(fresh.bufferedBytes, 0);
  });

  test("limits the first frame to 64 KiB and later frames to maxFrameBytes", () => {
    const big = encodeFrame({
      type: "data",
      seq: 1,
      records: ["y".repeat(100_000)],
    });
    const first = new FrameDecoder();
    const error = protocolError(() => first.push(big), "big first frame");
    assert.equal(error.closeCode, CLOSE_CODES.FrameTooLarge);
    assert.match(error.message, /for the first frame/);

    const decoder = new FrameDecoder();
    const hello = encodeFrame({ type: "hello", ...smallHello });
    const messages = decoder.push(concat([hello, big]));
    assert.deepEqual(messages.map((m) => m.type), ["hello", "data"]);
    assert.equal(decoder.maxFrameBytes, DEFAULT_MAX);
  });

  test("checks the type byte and payload size before the payload arrives", () => {
    const decoder = plainDecoder();
    // An ACK header that announces 100 bytes: refused at the type byte.
    const error = protocolError(
      () => decoder.push(new Uint8Array([0, 0, 0, 100, 4])),
      "long ACK",
    );
    assert.match(error.message, /ACK payload of 99 bytes: expected 8/);
    const unknown = protocolError(
      () => plainDecoder().push(new Uint8Array([0, 0, 0, 100, 0x42])),
      "unknown type",
    );
    assert.match(unknown.message, /unknown frame type 66 \(0x42\)/);
  });

  test("names the field, the expected and the received value, never the token", () => {
    const hello = new TextEncoder().encode(
      JSON.stringify({
        protocol: "ca-streams",
        version: 2,
        stream: "orders",
        token: "hunter2",
        writer: "w",
      }),
    );
    const frame = concat([
      new Uint8Array([0, 0, 0, hello.length + 1, 1]),
      hello,
    ]);
    const error = protocolError(() => decodeFrames(frame), "version 2");
    assert.equal(error.closeCode, CLOSE_CODES.UnsupportedVersion);
    assert.equal(
      error.message,
      "Cannot decode channel frame at byte 0: HELLO.version: expected 1, got 2",
    );
    assert.equal(error.path, "HELLO.version");
    assert.equal(error.expected, "1");
    assert.equal(error.received, "2");

    const badToken = encodeHelloJson({ token: 12345 });
    const tokenError = protocolError(() => decodeFrames(badToken), "token");
    assert.equal(tokenError.path, "HELLO.token");
    assert.doesNotMatch(tokenError.message, /12345/);
    const longToken = encodeHelloJson({ token: "secret!".repeat(700) });
    const longError = protocolError(
      () => decodeFrames(longToken),
      "long token",
    );
    assert.doesNotMatch(longError.message, /secret/);
    assert.match(longError.message, /got a string of 4900 UTF-8 bytes/);
  });

  test("reports the byte offset of the frame at fault", () => {
    const ack = encodeFrame({ type: "ack", seq: 1 });
    const error = protocolError(
      () => decodeFrames(concat([ack, ack, new Uint8Array([0, 0, 0, 0])])),
      "offset",
    );
    assert.match(error.message, /at byte 26: frame length 0/);
  });

  test("stays failed after an error, and goes on after end() on a boundary", () => {
    const decoder = plainDecoder();
    const ack = encodeFrame({ type: "ack", seq: 2 });
    assert.equal(decoder.push(ack).length, 1);
    decoder.end(); // a boundary, as after each WebSocket message
    assert.equal(decoder.push(ack).length, 1);
    assert.equal(decoder.bytesDecoded, 26);
    const error = protocolError(
      () => decoder.push(new Uint8Array([0, 0, 0, 1, 9])),
      "bad type",
    );
    assert.equal(protocolError(() => decoder.push(ack), "again"), error);
    assert.equal(protocolError(() => decoder.end(), "end"), error);
  });

  test("end() refuses input that stopped inside a frame", () => {
    const decoder = plainDecoder();
    decoder.push(encodeFrame({ type: "ack", seq: 2 }).subarray(0, 7));
    const error = protocolError(() => decoder.end(), "truncated");
    assert.match(
      error.message,
      /input ended inside a frame, after 7 of its 13 bytes/,
    );
  });

  test("decodes text holding U+FFFD, and refuses invalid UTF-8 that would become one", () => {
    const records = ["\ufffd", "a\ufffdb"];
    const frame = encodeFrame({ type: "data", seq: 1, records });
    assert.deepEqual(decodeFrames(frame), [{ type: "data", seq: 1, records }]);
    const broken = frame.slice();
    broken[broken.length - 3] = 0xff; // inside "a\ufffdb": 'b' becomes 0xff
    const error = protocolError(() => decodeFrames(broken), "invalid UTF-8");
    assert.equal(error.path, "DATA.records");
  });

  test("refuses a chunk that is not bytes with a TypeError", () => {
    assert.throws(
      () => plainDecoder().push("abc" as unknown as Uint8Array),
      TypeError,
    );
  });

  test("refuses limits outside the protocol's range", () => {
    assert.throws(() => new FrameDecoder({ maxFrameBytes: 1023 }), RangeError);
    assert.throws(
      () => new FrameDecoder({ maxFrameBytes: 2 ** 30 + 1 }),
      RangeError,
    );
    assert.throws(
      () =>
        new FrameDecoder({ maxFrameBytes: 2048, handshakeMaxFrameBytes: 4096 }),
      RangeError,
    );
    assert.throws(
      () => decodeFrames(new Uint8Array(), { maxFrameBytes: 1.5 }),
      RangeError,
    );
  });
});

describe("FrameDecoderStream", () => {
  test("decodes a byte stream cut into random chunks", async () => {
    const random = prng(7);
    const frames = valid.map((v) => fromHex(v.hex));
    const all = concat(frames);
    for (let round = 0; round < 20; round++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < all.length;) {
        const size = 1 + Math.floor(random() * 300);
        chunks.push(all.slice(at, at + size));
        at += size;
      }
      const messages = await Array.fromAsync(
        ReadableStream.from(chunks).pipeThrough(
          new FrameDecoderStream({ handshakeMaxFrameBytes: DEFAULT_MAX }),
        ),
      );
      assert.deepEqual(messages, valid.map((v) => v.message));
    }
  });

  test("errors the stream with a ChannelProtocolError on bad input and on a cut-off end", async () => {
    const ack = encodeFrame({ type: "ack", seq: 1 });
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from([ack, new Uint8Array([0, 0, 0, 1, 0])])
          .pipeThrough(new FrameDecoderStream()),
      ),
      (error) =>
        error instanceof ChannelProtocolError && error.closeCode === 4000,
    );
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from([ack.subarray(0, 9)]).pipeThrough(
          new FrameDecoderStream(),
        ),
      ),
      /input ended inside a frame/,
    );
  });
});

describe("encodeFrame()", () => {
  test("round-trips random messages, non-ASCII text and lone surrogates included", () => {
    const random = prng(11);
    for (let i = 0; i < 3000; i++) {
      const message = randomMessage(random);
      const bytes = encodeFrame(message);
      assert.deepEqual(decodeFrames(bytes), [message], JSON.stringify(message));
      assert.equal(bytes.buffer.byteLength, bytes.length);
    }
    const lone = {
      type: "data" as const,
      seq: 1,
      records: ["\ud800", "a\udfffb"],
    };
    const bytes = encodeFrame(lone);
    assert.match(new TextDecoder().decode(bytes.subarray(17)), /\\ud800/);
    assert.deepEqual(decodeFrames(bytes), [lone]);
  });

  test("refuses a frame above maxFrameBytes with a RangeError", () => {
    const records = ["x".repeat(1004)]; // 17 + 1008 = 1025 bytes
    assert.throws(
      () =>
        encodeFrame({ type: "data", seq: 1, records }, { maxFrameBytes: 1024 }),
      (error) =>
        error instanceof RangeError &&
        /Cannot encode DATA frame: it needs at least 1025 bytes, above maxFrameBytes 1024/
          .test(error.message),
    );
    // Non-ASCII text: the size is found while encoding.
    const wide = ["é".repeat(600)]; // 1200 bytes of UTF-8 in 602 characters
    assert.throws(
      () =>
        encodeFrame({ type: "data", seq: 1, records: wide }, {
          maxFrameBytes: 1024,
        }),
      RangeError,
    );
    assert.equal(
      encodeFrame({ type: "data", seq: 1, records: wide }, {
        maxFrameBytes: 2048,
      }).length,
      17 + 1204,
    );
  });

  test("checks every field as the decoder does", () => {
    const cases: [unknown, ErrorConstructor | RangeErrorConstructor, RegExp][] =
      [
        [
          { type: "data", seq: 0, records: [1] },
          RangeError,
          /DATA\.seq: expected an integer from 1/,
        ],
        [{ type: "data", seq: 2 ** 53, records: [1] }, RangeError, /DATA\.seq/],
        [{ type: "data", seq: "1", records: [1] }, TypeError, /DATA\.seq/],
        [
          { type: "data", seq: 1, records: [] },
          RangeError,
          /at least 1 record/,
        ],
        [
          { type: "data", seq: 1, records: "abc" },
          TypeError,
          /an array of records/,
        ],
        [
          { type: "data", seq: 1, records: [1n] },
          TypeError,
          /has no JSON form/,
        ],
        [{ type: "ack", seq: 1.5 }, RangeError, /ACK\.seq/],
        [{ type: "credit", credit: 0 }, RangeError, /CREDIT\.credit/],
        [{ type: "credit", credit: 2 ** 32 }, RangeError, /CREDIT\.credit/],
        [{ type: "heartbeat", time: 1.5 }, RangeError, /HEARTBEAT\.time/],
        [{ type: "close", code: 999, reason: "" }, RangeError, /CLOSE\.code/],
        [{ type: "close", code: 1000, reason: 5 }, TypeError, /CLOSE\.reason/],
        [
          { type: "hello", ...smallHello, version: 2 },
          RangeError,
          /HELLO\.version: expected 1, got 2/,
        ],
        [
          { type: "hello", ...smallHello, stream: "" },
          RangeError,
          /HELLO\.stream/,
        ],
        [
          { type: "hello", ...smallHello, token: undefined },
          TypeError,
          /HELLO\.token/,
        ],
        [{ ...smallWelcome, credit: -1 }, RangeError, /WELCOME\.credit/],
        [{ type: "nope" }, TypeError, /unknown message type "nope"/],
        [null, TypeError, /expected a message object/],
      ];
    for (const [message, type, pattern] of cases) {
      assert.throws(
        () => encodeFrame(message as ChannelMessage),
        (error) =>
          error instanceof type && pattern.test((error as Error).message),
        JSON.stringify(message, (_, v) => typeof v === "bigint" ? `${v}n` : v),
      );
    }
    assert.throws(
      () => encodeFrame({ type: "ack", seq: 1 }, { maxFrameBytes: 100 }),
      RangeError,
    );
  });

  test("cuts a CLOSE reason to 123 bytes at a character boundary", () => {
    const reason = "é".repeat(100); // 200 bytes
    const bytes = encodeFrame({ type: "close", code: 4000, reason });
    assert.equal(bytes.length, 4 + 1 + 2 + 122);
    assert.deepEqual(decodeFrames(bytes), [
      { type: "close", code: 4000, reason: "é".repeat(61) },
    ]);
  });

  test("error classes carry stable codes and close codes", () => {
    const error = new ChannelProtocolError("Cannot x: y", { closeCode: 4003 });
    assert.equal(error.code, "CA_ERR_PROTOCOL");
    assert.equal(error.closeCode, 4003);
    assert.equal(new ChannelProtocolError("Cannot x: y").closeCode, 4000);
    const auth = new ChannelAuthError("orders");
    assert.equal(auth.code, "CA_ERR_AUTH");
    assert.equal(auth.closeCode, CLOSE_CODES.AuthFailed);
    assert.match(
      auth.message,
      /^Cannot open channel for stream "orders": authentication failed/,
    );
  });
});

// --- fuzz ------------------------------------------------------------------

describe("fuzz", () => {
  const seed = Number(process.env.CHANNEL_FUZZ_SEED ?? 0x5eed);
  const cases = Number(process.env.CHANNEL_FUZZ_CASES ?? 100_000);

  test(`${cases} random, truncated, flipped, oversized and zero-length inputs (seed ${seed})`, () => {
    const random = prng(seed);
    const corpus = valid.map((v) => fromHex(v.hex)).filter((b) =>
      b.length < 3000
    );
    const counts = { decoded: 0, refused: 0 };
    const kinds = new Map<string, number>();
    const reasons = new Map<string, number>();
    let slowest = 0;
    const started = performance.now();
    for (let index = 0; index < cases; index++) {
      const maxFrameBytes = 1024 + Math.floor(random() * 3072);
      const first = random() < 0.5
        ? maxFrameBytes
        : 5 + Math.floor(random() * (maxFrameBytes - 4));
      const [kind, input] = fuzzInput(random, corpus, maxFrameBytes);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const caseStart = performance.now();
      const decoder = new FrameDecoder({
        maxFrameBytes,
        handshakeMaxFrameBytes: first,
      });
      const messages: ChannelMessage[] = [];
      try {
        let from = 0;
        for (const cut of randomCuts(random, input.length)) {
          messages.push(...decoder.push(input.subarray(from, cut)));
          from = cut;
          if (decoder.bufferedBytes > maxFrameBytes) {
            assert.fail(
              `buffered ${decoder.bufferedBytes} bytes, limit ${maxFrameBytes}`,
            );
          }
        }
        decoder.end();
        counts.decoded++;
        // What decodes is valid: it encodes and decodes to the same messages.
        for (const message of messages) {
          assert.deepEqual(decodeFrames(encodeFrame(message)), [message]);
        }
      } catch (error) {
        if (
          !(error instanceof ChannelProtocolError) ||
          ![4000, 4002, 4003].includes(error.closeCode)
        ) {
          assert.fail(
            `case ${index} (${kind}, seed ${seed}, limit ${maxFrameBytes}/${first}) threw ${
              String(error)
            } for ${toHex(input).slice(0, 400)}`,
          );
        }
        counts.refused++;
        const reason = error.path ??
          error.message.replace(/^.*?: /, "").replace(/[\d(].*$/, "").trim();
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      const ms = performance.now() - caseStart;
      if (ms > slowest) slowest = ms;
    }
    const total = performance.now() - started;
    console.log(
      `fuzz: ${cases} cases in ${total.toFixed(0)} ms (slowest ${
        slowest.toFixed(1)
      } ms): ${counts.decoded} decoded, ${counts.refused} refused; ${
        [...kinds].map(([k, n]) => `${k} ${n}`).join(", ")
      }`,
    );
    if (process.env.CHANNEL_FUZZ_VERBOSE) {
      console.log([...reasons].sort((a, b) => b[1] - a[1]));
    }
    assert.equal(counts.decoded + counts.refused, cases);
    // The refusals reach past the framing into the payloads' fields.
    assert.ok(reasons.size >= 20, `only ${reasons.size} kinds of refusal`);
    assert.ok(
      counts.decoded > cases / 20,
      "too few inputs decoded: the fuzz is shallow",
    );
    assert.ok(counts.refused > cases / 2, "too few inputs refused");
    assert.ok(slowest < 1000, `a case took ${slowest} ms`);
  });
});

// --- helpers -----------------------------------------------------------------

const smallHello = {
  version: 1 as const,
  stream: "s",
  token: "",
  writer: "w",
  firstSeq: 1,
  maxFrameBytes: 1024,
  batchRecords: 10,
};
const smallWelcome = {
  type: "welcome" as const,
  version: 1 as const,
  credit: 4,
  nextSeq: 1,
  heartbeatMs: 100,
  maxFrameBytes: 1024,
};

/** A HELLO frame from JSON fields laid over a valid HELLO. */
function encodeHelloJson(fields: Record<string, unknown>): Uint8Array {
  const json = new TextEncoder().encode(
    JSON.stringify({ protocol: "ca-streams", ...smallHello, ...fields }),
  );
  const head = new Uint8Array(5);
  new DataView(head.buffer).setUint32(0, json.length + 1);
  head[4] = 1;
  return concat([head, json]);
}

/** mulberry32: a small seeded PRNG, so a failing case replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function int(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

function randomString(random: () => number): string {
  const length = int(random, 12);
  let text = "";
  for (let i = 0; i < length; i++) {
    const r = random();
    if (r < 0.6) text += String.fromCharCode(32 + int(random, 95));
    else if (r < 0.75) text += String.fromCharCode(int(random, 32));
    else if (r < 0.9) {
      text += String.fromCharCode(0x80 + int(random, 0xd800 - 0x80));
    } else if (r < 0.97) {
      text += String.fromCodePoint(0x10000 + int(random, 0x100000));
    } else text += String.fromCharCode(0xd800 + int(random, 0x800)); // lone surrogate
  }
  return text;
}

function randomJson(random: () => number, depth = 0): unknown {
  const r = random();
  if (depth > 3 || r < 0.5) {
    const s = random();
    if (s < 0.3) return int(random, 2 ** 31) - 2 ** 30;
    if (s < 0.4) return random() * 1e6;
    if (s < 0.8) return randomString(random);
    if (s < 0.9) return random() < 0.5;
    return null;
  }
  if (r < 0.75) {
    return Array.from(
      { length: int(random, 4) },
      () => randomJson(random, depth + 1),
    );
  }
  const object: Record<string, unknown> = {};
  for (let i = int(random, 4); i > 0; i--) {
    object[randomString(random)] = randomJson(random, depth + 1);
  }
  return object;
}

function randomSeq(random: () => number, min: number): number {
  const r = random();
  if (r < 0.1) return min;
  if (r < 0.2) return Number.MAX_SAFE_INTEGER;
  if (r < 0.6) return min + int(random, 1000);
  return min + Math.floor(random() * (Number.MAX_SAFE_INTEGER - min));
}

function randomName(random: () => number): string {
  let name = randomString(random).toWellFormed();
  while (new TextEncoder().encode(name).length > 256) name = name.slice(1);
  return name || "n";
}

function randomMessage(random: () => number): ChannelMessage {
  switch (int(random, 7)) {
    case 0:
      return {
        type: "hello",
        version: 1,
        stream: randomName(random),
        token: randomString(random).toWellFormed(),
        writer: randomName(random),
        firstSeq: randomSeq(random, 1),
        maxFrameBytes: 1024 + int(random, 2 ** 30 - 1023),
        batchRecords: 1 + int(random, 1_048_576),
      };
    case 1:
      return {
        type: "welcome",
        version: 1,
        credit: int(random, 2 ** 32),
        nextSeq: randomSeq(random, 1),
        heartbeatMs: int(random, 2 ** 31),
        maxFrameBytes: 1024 + int(random, 2 ** 30 - 1023),
      };
    case 2:
      return {
        type: "data",
        seq: randomSeq(random, 1),
        records: Array.from(
          { length: 1 + int(random, 6) },
          () => randomJson(random),
        ),
      };
    case 3:
      return { type: "ack", seq: randomSeq(random, 1) };
    case 4:
      return { type: "credit", credit: 1 + int(random, 2 ** 32 - 1) };
    case 5:
      return random() < 0.3
        ? { type: "heartbeat" }
        : { type: "heartbeat", time: randomSeq(random, 0) };
    default: {
      // A reason that fits whole, so the round trip is exact.
      let reason = randomString(random);
      while (new TextEncoder().encode(reason.toWellFormed()).length > 123) {
        reason = reason.slice(1);
      }
      return {
        type: "close",
        code: 1000 + int(random, 4000),
        reason: reason.toWellFormed(),
      };
    }
  }
}

/** Sorted cut points: none, a few, or one per byte. */
function randomCuts(random: () => number, length: number): number[] {
  const r = random();
  if (r < 0.3 || length < 2) return [];
  if (r < 0.35) return Array.from({ length: length - 1 }, (_, i) => i + 1);
  const cuts = Array.from(
    { length: 1 + int(random, 6) },
    () => int(random, length + 1),
  );
  return cuts.sort((a, b) => a - b);
}

/** One fuzz input and its kind. */
function fuzzInput(
  random: () => number,
  corpus: Uint8Array[],
  maxFrameBytes: number,
): [string, Uint8Array] {
  const frames = (): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (let n = 1 + int(random, 3); n > 0; n--) {
      parts.push(
        random() < 0.5
          ? corpus[int(random, corpus.length)]!
          : encodeFrame(randomMessage(random), { maxFrameBytes: 2 ** 30 }),
      );
    }
    return concat(parts);
  };
  const kind = int(random, 7);
  switch (kind) {
    case 0: { // random bytes
      const bytes = new Uint8Array(int(random, 64));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(random, 256);
      return ["random", bytes];
    }
    case 1: { // a plausible length and type, then random bytes
      const length = 1 + int(random, 40);
      const bytes = new Uint8Array(4 + length + int(random, 8));
      new DataView(bytes.buffer).setUint32(0, length);
      for (let i = 4; i < bytes.length; i++) bytes[i] = int(random, 256);
      bytes[4] = int(random, 9);
      return ["framed-random", bytes];
    }
    case 2: { // valid frames, cut short
      const bytes = frames();
      return ["truncated", bytes.subarray(0, int(random, bytes.length))];
    }
    case 3: { // valid frames with flipped bytes
      const bytes = frames().slice();
      for (let n = 1 + int(random, 4); n > 0; n--) {
        bytes[int(random, bytes.length)] ^= 1 + int(random, 255);
      }
      return ["flipped", bytes];
    }
    case 4: { // a frame whose length is above the limit
      const bytes = frames().slice();
      const length = maxFrameBytes - 3 +
        int(random, 2 ** 32 - maxFrameBytes + 3);
      new DataView(bytes.buffer).setUint32(0, length);
      return ["oversized", bytes];
    }
    case 5: { // a zero length at a frame boundary
      const a = corpus[int(random, corpus.length)]!;
      return ["zero-length", concat([a, new Uint8Array(4 + int(random, 4))])];
    }
    default: // valid frames, which must decode (unless above the limits)
      return ["valid", frames()];
  }
}
