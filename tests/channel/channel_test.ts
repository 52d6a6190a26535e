// Copyright 2026 the @ca/streams authors. MIT license.
// The channel suite over TCP and over WebSocket, on the runtime the test
// runs on (Deno, or Node 22/24 with the ws package).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { collect, pipeline } from "@ca/streams";
import { channelReader, channelWriter } from "@ca/streams/channel";
import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
import { wsConnect, wsListen } from "@ca/streams/channel-ws";
import { channelSuite } from "./channel_suite.ts";

channelSuite("TCP", {
  listen: () => tcpListen({ port: 0 }),
  dial: (port, signal) => tcpConnect({ port }, { signal }),
});

channelSuite("WebSocket", {
  listen: (options) => wsListen({ port: 0, path: "/channel" }, options),
  dial: (port, signal) =>
    wsConnect(`ws://127.0.0.1:${port}/channel`, { signal }),
});

describe("channel over TCP, closing", () => {
  test("a writer that passes its signal to tcpConnect closes cleanly", async () => {
    const listener = await tcpListen({ port: 0 });
    const received = collect<number>();
    const reading = pipeline(
      channelReader<number>(listener, { stream: "signal" }),
      received,
    );
    const records = Array.from({ length: 2000 }, (_, i) => i);
    await pipeline(
      records,
      channelWriter<number>(
        (signal) => tcpConnect({ port: listener.port }, { signal }),
        { stream: "signal" },
      ),
    );
    await reading;
    assert.deepEqual(received.records, records);
  });
});
