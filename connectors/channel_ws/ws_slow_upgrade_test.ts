// Copyright 2026 the @ca/streams authors. MIT license.
// The handshake timeout bounds a WebSocket connection from its TCP
// connection to HELLO, the HTTP upgrade included (issue 10, item 3), on the
// runtime the test runs on (Deno or Node): slow-loris clients on raw TCP.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import type { ChannelMessage } from "../../src/channel/channel_message.ts";
import { decodeFrames } from "../../src/channel/decode_frames.ts";
import { encodeFrame } from "../../src/channel/encode_frame.ts";
import { wsConnect, wsListen } from "./mod.ts";
import {
  type RawClient,
  rawClient,
} from "../../tests/channel/raw_tcp_client.ts";

const TIMEOUT_MS = 500;
/** Far beyond the timeout: a connection still open then was never timed out. */
const PATIENCE_MS = 4000;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

const UPGRADE = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Sec-WebSocket-Protocol: ca-streams.v1\r\n\r\n";

/** Sends `text` one byte every `stepMs` until it is sent or `client` is closed. */
async function dribble(client: RawClient, text: string, stepMs: number) {
  for (const char of text) {
    if (await client.closedWithin(stepMs)) return;
    client.write(char);
  }
}

/** A client's WebSocket frame: binary, masked. */
function clientFrame(payload: Uint8Array): Uint8Array {
  const head = payload.length < 126 ? 2 : 4;
  const frame = new Uint8Array(head + 4 + payload.length);
  frame[0] = 0x82;
  if (head === 2) frame[1] = 0x80 | payload.length;
  else {
    frame[1] = 0x80 | 126;
    frame[2] = payload.length >> 8;
    frame[3] = payload.length & 0xff;
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, head);
  for (let i = 0; i < payload.length; i++) {
    frame[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  }
  return frame;
}

/**
 * What a server sent after its HTTP answer: the channel messages of its
 * binary WebSocket messages, and the code of its WebSocket close.
 */
function serverFrames(
  bytes: Uint8Array,
): { messages: ChannelMessage[]; closeCode?: number } {
  const text = new TextDecoder().decode(bytes);
  let at = text.indexOf("\r\n\r\n") + 4;
  const messages: ChannelMessage[] = [];
  let closeCode: number | undefined;
  while (at > 3 && at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      start = at + 4;
    }
    const payload = bytes.subarray(start, start + length);
    if (opcode === 2) messages.push(...decodeFrames(payload));
    if (opcode === 8 && length >= 2) {
      closeCode = (payload[0]! << 8) | payload[1]!;
    }
    at = start + length;
  }
  return { messages, closeCode };
}

test("wsListen() answers 408 and closes an upgrade request sent one byte every 200 ms, and a silent connection, after handshakeTimeoutMs; a writer then connects", async () => {
  const listener = await wsListen({ port: 0 }, {
    handshakeTimeoutMs: TIMEOUT_MS,
  });
  const received = collect<number>();
  const reading = pipeline(
    channelReader<number>(listener, {
      stream: "s",
      handshakeTimeoutMs: TIMEOUT_MS,
    }),
    received,
  );
  try {
    const slow = await rawClient(listener.port);
    const silent = await rawClient(listener.port);
    const dribbling = dribble(slow, UPGRADE, 200);
    const closed = await Promise.all([
      slow.closedWithin(PATIENCE_MS),
      silent.closedWithin(PATIENCE_MS),
    ]);
    slow.destroy();
    silent.destroy();
    await dribbling;
    assert.deepEqual(closed, [true, true], "closed: [slow, silent]");
    const answer = new TextDecoder().decode(slow.received());
    assert.match(answer, /^HTTP\/1\.1 408 /);

    await pipeline(
      [1, 2, 3],
      channelWriter<number>(
        () => wsConnect(`ws://127.0.0.1:${listener.port}/`),
        { stream: "s" },
      ),
    );
    await reading;
    assert.deepEqual(received.records, [1, 2, 3]);
  } finally {
    await reading.stop();
  }
});

test("the reader counts its handshake timeout from the TCP connection: an upgrade that took longer leaves no time for HELLO (4004)", async () => {
  // The listener lets the upgrade take 2 s; the reader wants HELLO within
  // 0.5 s of the TCP connection.
  const listener = await wsListen({ port: 0 }, { handshakeTimeoutMs: 2000 });
  const reading = pipeline(
    channelReader<number>(listener, {
      stream: "s",
      handshakeTimeoutMs: TIMEOUT_MS,
    }),
    collect(),
  );
  try {
    const client = await rawClient(listener.port);
    // The request in 8 parts, 120 ms apart: complete after about 0.96 s.
    const step = Math.ceil(UPGRADE.length / 8);
    for (let at = 0; at < UPGRADE.length; at += step) {
      await sleep(120);
      client.write(UPGRADE.slice(at, at + step));
    }
    // HELLO at once after the 101.
    for (let i = 0; i < 100; i++) {
      if (new TextDecoder().decode(client.received()).includes("\r\n\r\n")) {
        break;
      }
      await sleep(20);
    }
    assert.match(
      new TextDecoder().decode(client.received()),
      /^HTTP\/1\.1 101 /,
    );
    client.write(clientFrame(encodeFrame({
      type: "hello",
      version: 1,
      stream: "s",
      token: "",
      writer: "w",
      firstSeq: 1,
      maxFrameBytes: 1 << 20,
      batchRecords: 1024,
    })));
    // The server's WebSocket close (a `ws` server then waits for the
    // client's close frame before it closes TCP: no need to wait for that).
    for (let waited = 0; waited < PATIENCE_MS; waited += 20) {
      if (serverFrames(client.received()).closeCode !== undefined) break;
      if (await client.closedWithin(20)) break;
    }
    client.destroy();
    const { messages, closeCode } = serverFrames(client.received());
    assert.deepEqual(
      messages.map((m) => m.type === "close" ? `close ${m.code}` : m.type),
      ["close 4004"],
    );
    assert.equal(closeCode, 4004);
  } finally {
    await reading.stop();
  }
});

test("an upgraded connection outlives the listener's handshakeTimeoutMs", async () => {
  const listener = await wsListen({ port: 0 }, {
    handshakeTimeoutMs: TIMEOUT_MS,
  });
  const accepted = listener[Symbol.asyncIterator]().next();
  const client = await wsConnect(`ws://127.0.0.1:${listener.port}/`);
  const server = (await accepted).value!;
  await sleep(3 * TIMEOUT_MS);
  const credit = encodeFrame({ type: "credit", credit: 2 });
  await client.writable.getWriter().write(credit);
  const { value } = await server.readable.getReader().read();
  assert.deepEqual(value, credit);
  client.close();
  server.close();
  await listener.close();
});

test("wsListen() refuses a handshakeTimeoutMs that is not a positive integer", async () => {
  for (const handshakeTimeoutMs of [0, -1, 1.5, Number.NaN]) {
    const listening = wsListen({ port: 0 }, { handshakeTimeoutMs });
    // Should it listen after all, stop it: the test fails, and ends.
    listening.then((listener) => listener.close(), () => {});
    await assert.rejects(
      listening,
      /Cannot listen for WebSockets: options\.handshakeTimeoutMs must be an integer from 1 to 2147483647/,
    );
  }
});
