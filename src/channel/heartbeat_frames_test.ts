// Copyright 2026 the @ca/streams authors. MIT license.
// Heartbeat timeouts count whole frames, not bytes (issue 10, item 2): a
// peer that sends a frame one byte at a time is silent. Both sides, over an
// in-memory connection driven byte by byte: no network.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pipeline } from "../pipeline/pipeline.ts";
import { collect } from "../sinks/collect.ts";
import { AcceptQueue } from "./accept_queue.ts";
import type { ChannelConnection } from "./channel_connection.ts";
import type { ChannelMessage } from "./channel_message.ts";
import { channelReader } from "./channel_reader.ts";
import { channelWriter } from "./channel_writer.ts";
import { encodeFrame } from "./encode_frame.ts";
import { FrameDecoder } from "./frame_decoder.ts";

const HEARTBEAT_MS = 100;
/** The time between two bytes of a dribbled frame: well below 3 intervals. */
const BYTE_MS = 20;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Two ends of an in-memory connection: what one writes, the other reads. */
function connectionPair(): [ChannelConnection, ChannelConnection] {
  const controllers: TransformStreamDefaultController<Uint8Array>[] = [];
  const pipe = () =>
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        controllers.push(controller);
      },
    });
  const there = pipe();
  const back = pipe();
  // Closing either end ends both directions, as a socket's close does.
  const close = () => {
    for (const controller of controllers) {
      try {
        controller.terminate();
      } catch {
        // Closed already.
      }
    }
  };
  return [
    { readable: back.readable, writable: there.writable, remote: "a", close },
    { readable: there.readable, writable: back.writable, remote: "b", close },
  ];
}

/** A peer speaking raw frames: it sends bytes as it likes and decodes what arrives. */
class RawPeer {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #decoder = new FrameDecoder({ handshakeMaxFrameBytes: 1 << 20 });
  #messages: ChannelMessage[] = [];
  #wake = () => {};
  #ended = false;

  constructor(connection: ChannelConnection) {
    this.#writer = connection.writable.getWriter();
    this.#writer.closed.catch(() => {});
    void (async () => {
      try {
        for await (const chunk of connection.readable) {
          this.#messages.push(...this.#decoder.push(chunk));
          this.#wake();
        }
      } catch {
        // The connection was closed under us.
      }
      this.#ended = true;
      this.#wake();
    })();
  }

  send(message: ChannelMessage): Promise<void> {
    return this.#writer.write(encodeFrame(message));
  }

  /**
   * Sends `message` one byte every {@link BYTE_MS}, until it is sent or the
   * connection fails.
   */
  async dribble(message: ChannelMessage): Promise<void> {
    const bytes = encodeFrame(message);
    try {
      for (const byte of bytes) {
        if (this.#ended) return;
        await this.#writer.write(new Uint8Array([byte]));
        await sleep(BYTE_MS);
      }
    } catch {
      // Closed by the other side: the point of the test.
    }
  }

  /**
   * The next message of `type` (of any type when omitted), skipping others;
   * `undefined` after `ms` or at the end.
   */
  async expect(
    type: ChannelMessage["type"] | undefined,
    ms: number,
  ): Promise<ChannelMessage | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.#messages.findIndex((m) =>
        type === undefined || m.type === type
      );
      if (at >= 0) return this.#messages.splice(0, at + 1).at(-1);
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

function hello(writer: string): ChannelMessage {
  return {
    type: "hello",
    version: 1,
    stream: "s",
    token: "",
    writer,
    firstSeq: 1,
    maxFrameBytes: 1 << 20,
    batchRecords: 1024,
  };
}

test("a reader closes with 4005 a writer that sends a DATA frame one byte at a time, and takes another writer", async () => {
  const connections = new AcceptQueue<ChannelConnection>((c) => c.close());
  const reading = pipeline(
    channelReader<string>(connections, {
      stream: "s",
      heartbeatMs: HEARTBEAT_MS,
      endOnClose: false,
    }),
    collect<string>(),
  );
  try {
    const [slowEnd, slowServed] = connectionPair();
    connections.push(slowServed);
    const slow = new RawPeer(slowEnd);
    await slow.send(hello("slow"));
    assert.equal((await slow.expect("welcome", 5000))?.type, "welcome");
    // 400 bytes, one every 20 ms: 8 s, each byte well within 3 intervals.
    const dribbling = slow.dribble({
      type: "data",
      seq: 1,
      records: ["x".repeat(380)],
    });
    // Long after three intervals without a whole frame.
    await sleep(10 * HEARTBEAT_MS);
    const [otherEnd, otherServed] = connectionPair();
    connections.push(otherServed);
    const other = new RawPeer(otherEnd);
    await other.send(hello("other"));
    const answer = await other.expect(undefined, 5000);
    assert.deepEqual(
      answer?.type === "close" ? `CLOSE ${answer.code}` : answer?.type,
      "welcome",
      "the stream is free for another writer once the silent one is dropped",
    );
    const closed = await slow.expect("close", 0);
    assert.equal(closed?.type, "close");
    assert.equal(closed.type === "close" && closed.code, 4005);
    await dribbling;
    otherEnd.close();
  } finally {
    await reading.stop();
  }
});

test("a writer closes with 4005 a reader that sends a frame one byte at a time", async () => {
  const stop = new AbortController();
  const readers: RawPeer[] = [];
  let connected = () => {};
  const firstConnection = new Promise<void>((resolve) => connected = resolve);
  const connect = (signal: AbortSignal): Promise<ChannelConnection> => {
    if (readers.length > 0) {
      // Reconnecting after the timeout: wait for the end of the test.
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        });
      });
    }
    const [writerEnd, readerEnd] = connectionPair();
    readers.push(new RawPeer(readerEnd));
    connected();
    return Promise.resolve(writerEnd);
  };
  const writing = pipeline(
    [1, 2, 3],
    channelWriter<number>(connect, { stream: "s", signal: stop.signal }),
  );
  writing.then(() => {}, () => {});
  try {
    await firstConnection;
    const reader = readers[0]!;
    assert.equal((await reader.expect("hello", 5000))?.type, "hello");
    await reader.send({
      type: "welcome",
      version: 1,
      credit: 0,
      nextSeq: 1,
      heartbeatMs: HEARTBEAT_MS,
      maxFrameBytes: 1 << 20,
    });
    // A CLOSE frame of 130 bytes, one byte every 20 ms: 2.6 s.
    const dribbling = reader.dribble({
      type: "close",
      code: 4007,
      reason: "y".repeat(123),
    });
    const closed = await reader.expect("close", 15 * HEARTBEAT_MS);
    assert.equal(
      closed?.type === "close" ? closed.code : closed?.type,
      4005,
      "the writer closes a reader that sent no whole frame for three intervals",
    );
    await dribbling;
  } finally {
    stop.abort(new Error("end of test"));
    await writing.then(() => {}, () => {});
  }
});
