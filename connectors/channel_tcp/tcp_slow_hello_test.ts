// Copyright 2026 the @ca/streams authors. MIT license.
// The handshake timeout bounds a TCP connection from its opening to HELLO
// (issue 10, item 3), on the runtime the test runs on (Deno or Node): a
// slow-loris client on raw TCP sends HELLO one byte every 200 ms.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import { decodeFrames } from "../../src/channel/decode_frames.ts";
import { encodeFrame } from "../../src/channel/encode_frame.ts";
import { tcpConnect, tcpListen } from "./mod.ts";
import { rawClient } from "../../tests/channel/raw_tcp_client.ts";

const TIMEOUT_MS = 500;
/** Far beyond the timeout: a connection still open then was never timed out. */
const PATIENCE_MS = 4000;

test("a reader closes with 4004 a TCP connection that sends HELLO one byte every 200 ms; a writer then connects", async () => {
  const listener = await tcpListen({ port: 0 });
  const received = collect<number>();
  const reading = pipeline(
    channelReader<number>(listener, {
      stream: "s",
      handshakeTimeoutMs: TIMEOUT_MS,
    }),
    received,
  );
  try {
    const client = await rawClient(listener.port);
    const hello = encodeFrame({
      type: "hello",
      version: 1,
      stream: "s",
      token: "",
      writer: "slow",
      firstSeq: 1,
      maxFrameBytes: 1 << 20,
      batchRecords: 1024,
    });
    let sent = 0;
    const dribble = setInterval(() => {
      if (sent < hello.length) client.write(hello.subarray(sent, ++sent));
    }, 200);
    const inTime = await client.closedWithin(PATIENCE_MS);
    clearInterval(dribble);
    client.destroy();
    assert.equal(inTime, true, "closed in time");
    assert.ok(sent < hello.length, `sent ${sent} of ${hello.length} bytes`);
    const messages = decodeFrames(client.received());
    assert.deepEqual(
      messages.map((m) => m.type === "close" ? `close ${m.code}` : m.type),
      ["close 4004"],
    );

    await pipeline(
      [1, 2, 3],
      channelWriter<number>(() => tcpConnect({ port: listener.port }), {
        stream: "s",
      }),
    );
    await reading;
    assert.deepEqual(received.records, [1, 2, 3]);
  } finally {
    await reading.stop();
  }
});
