// Copyright 2026 the @ca/streams authors. MIT license.
// HELLO and WELCOME check `version` first (issue 10, item 5): a positive
// version other than 1 gets CLOSE 4002 whatever the other fields hold, end
// to end over TCP. It imports the source (encodeFrame and decodeFrames are
// not exported), so it runs the TypeScript source on Deno and on Node 24.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import { ChannelProtocolError } from "../../src/channel/channel_protocol_error.ts";
import type { ChannelMessage } from "../../src/channel/channel_message.ts";
import { decodeFrames } from "../../src/channel/decode_frames.ts";
import { encodeFrame } from "../../src/channel/encode_frame.ts";
import { tcpConnect, tcpListen } from "../../connectors/channel_tcp/mod.ts";

/** A frame of `type` holding `json` as its payload, built by hand. */
function jsonFrame(type: number, json: string): Uint8Array {
  const payload = new TextEncoder().encode(json);
  const frame = new Uint8Array(5 + payload.length);
  new DataView(frame.buffer).setUint32(0, 1 + payload.length);
  frame[4] = type;
  frame.set(payload, 5);
  return frame;
}

/** Reads a connection to its end and decodes what arrived. */
async function readAll(
  readable: ReadableStream<Uint8Array>,
): Promise<ChannelMessage[]> {
  const bytes = new Uint8Array(await new Response(readable).arrayBuffer());
  return decodeFrames(bytes);
}

describe("HELLO version first, end to end", () => {
  for (
    const [json, code] of [
      ['{"protocol":"other","version":2}', 4002],
      ['{"version":2}', 4002],
      ['{"protocol":"ca-streams","version":3,"stream":""}', 4002],
      ['{"protocol":"other","version":1.5}', 4000],
      ['{"protocol":"other","version":1}', 4000],
    ] as const
  ) {
    test(`a reader closes ${json} with ${code}`, async () => {
      const listener = await tcpListen({ port: 0 });
      const reading = pipeline(
        channelReader(listener, { stream: "v" }),
        collect(),
      );
      reading.catch(() => {});
      const connection = await tcpConnect({ port: listener.port });
      try {
        const writer = connection.writable.getWriter();
        await writer.write(jsonFrame(1, json));
        const messages = await readAll(connection.readable);
        assert.equal(messages.length, 1, JSON.stringify(messages));
        const [close] = messages;
        assert.equal(close!.type, "close");
        assert.equal(close!.type === "close" && close!.code, code);
      } finally {
        connection.close();
        await reading.abort(new Error("test over")).catch(() => {});
        await listener.close();
      }
    });
  }
});

describe("WELCOME version first, end to end", () => {
  for (
    const [json, code] of [
      ['{"version":2}', 4002],
      ['{"version":2,"credit":"16","nextSeq":0}', 4002],
      ['{"version":1.5,"credit":-1}', 4000],
    ] as const
  ) {
    test(`a writer closes ${json} with ${code} and fails`, async () => {
      const listener = await tcpListen({ port: 0 });
      const answered = (async () => {
        for await (const connection of listener) {
          const reader = connection.readable.getReader();
          await reader.read(); // the HELLO
          const writer = connection.writable.getWriter();
          await writer.write(jsonFrame(2, json));
          // What the writer answers, until it closes the connection.
          const rest: Uint8Array[] = [];
          for (;;) {
            const { value, done } = await reader.read().catch(() => ({
              value: undefined,
              done: true,
            }));
            if (done) break;
            rest.push(value!);
          }
          connection.close();
          const bytes = new Uint8Array(
            rest.reduce((n, chunk) => n + chunk.length, 0),
          );
          let at = 0;
          for (const chunk of rest) {
            bytes.set(chunk, at);
            at += chunk.length;
          }
          return decodeFrames(bytes);
        }
      })();
      try {
        await assert.rejects(
          Promise.resolve(pipeline(
            [1],
            channelWriter(
              (signal) => tcpConnect({ port: listener.port }, { signal }),
              {
                stream: "v",
                reconnect: { initialDelayMs: 5, maxDelayMs: 5 },
              },
            ),
            { signal: AbortSignal.timeout(10_000) },
          )),
          (error: Error) => {
            const cause = error.cause;
            assert.ok(cause instanceof ChannelProtocolError, String(cause));
            assert.equal(cause.closeCode, code);
            assert.equal(cause.path, "WELCOME.version");
            return true;
          },
        );
        const sent = await answered;
        assert.deepEqual(sent?.map((m) => m.type === "close" && m.code), [
          code,
        ]);
      } finally {
        await listener.close();
      }
    });
  }
});

test("the encoder refuses a HELLO of version 2 as out of range, naming the field", () => {
  assert.throws(
    () =>
      encodeFrame({
        type: "hello",
        version: 2 as 1,
        stream: "s",
        token: "",
        writer: "w",
        firstSeq: 1,
        maxFrameBytes: 1024,
        batchRecords: 1,
      }),
    (error: Error) =>
      error instanceof RangeError && /HELLO\.version/.test(error.message),
  );
});
