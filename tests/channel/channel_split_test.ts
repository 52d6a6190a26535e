// Copyright 2026 the @ca/streams authors. MIT license.
// channelWriter() splits a batch to fit the reader's maxFrameBytes (issue 10,
// item 1): over TCP and WebSocket end to end, and against a scripted reader
// on an in-memory connection that checks every frame, seq and ACK. It
// imports the source (encodeFrame and FrameDecoder are not exported), so it
// runs the TypeScript source on Deno and on Node 24 alike.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import type { ChannelMessage } from "../../src/channel/channel_message.ts";
import { encodeFrame } from "../../src/channel/encode_frame.ts";
import { FrameDecoder } from "../../src/channel/frame_decoder.ts";
import { tcpConnect, tcpListen } from "../../connectors/channel_tcp/mod.ts";
import { wsConnect, wsListen } from "../../connectors/channel_ws/mod.ts";

interface Row {
  i: number;
  s: string;
}
const rows = (n: number, bytes: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ i, s: "x".repeat(bytes) }));
const reconnect = { initialDelayMs: 5, maxDelayMs: 50 };

/** Wraps a connection to record the size of every DATA frame written. */
function measured(
  connection: ChannelConnection,
  dataFrames: number[],
): ChannelConnection {
  const inner = connection.writable.getWriter();
  return {
    readable: connection.readable,
    remote: connection.remote,
    close: () => connection.close(),
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        if (chunk[4] === 3) dataFrames.push(chunk.length);
        return inner.write(chunk);
      },
      close: () => inner.close(),
      abort: (reason) => inner.abort(reason),
    }),
  };
}

interface Transport {
  listen(maxFrameBytes?: number): Promise<ChannelListener>;
  dial(port: number, signal: AbortSignal): Promise<ChannelConnection>;
}

const transports: [string, Transport][] = [
  ["TCP", {
    listen: () => tcpListen({ port: 0 }),
    dial: (port, signal) => tcpConnect({ port }, { signal }),
  }],
  ["WebSocket", {
    listen: (maxFrameBytes) =>
      wsListen(
        { port: 0, path: "/split" },
        maxFrameBytes ? { maxFrameBytes } : {},
      ),
    dial: (port, signal) =>
      wsConnect(`ws://127.0.0.1:${port}/split`, { signal }),
  }],
];

for (const [label, transport] of transports) {
  describe(`channelWriter() over ${label}: frames fit the reader's limit`, () => {
    /** Writes `records` to a reader announcing `maxFrameBytes`. */
    async function send(
      records: Row[],
      maxFrameBytes: number | undefined,
      deadLetter?: WritableStream<DeadLetter>,
    ) {
      const listener = await transport.listen(maxFrameBytes);
      const received = collect<Row>();
      const reading = pipeline(
        channelReader<Row>(listener, {
          stream: "split",
          ...(maxFrameBytes ? { maxFrameBytes } : {}),
        }),
        received,
      );
      reading.catch(() => {});
      const dataFrames: number[] = [];
      try {
        const summary = await pipeline(
          records,
          channelWriter<Row>(
            async (signal) =>
              measured(
                await transport.dial(listener.port, signal),
                dataFrames,
              ),
            { stream: "split", reconnect },
          ),
          { deadLetter, signal: AbortSignal.timeout(30_000) },
        );
        await reading;
        return { summary, received: received.records, dataFrames };
      } finally {
        await reading.abort(new Error("test over")).catch(() => {});
        await listener.close();
      }
    }

    test("1024 records of 17 KB, default limits: a batch above 16 MiB is split", async () => {
      const records = rows(1024, 17_000);
      const { received, dataFrames } = await send(records, undefined);
      assert.equal(received.length, 1024);
      assert.ok(received.every((row, i) => row.i === i), "in order, once");
      assert.ok(dataFrames.length >= 2, `${dataFrames.length} DATA frames`);
      for (const size of dataFrames) assert.ok(size <= 16 * 1024 * 1024);
    });

    test("1000 records of 200 bytes to a reader announcing 65536: every frame fits", async () => {
      const records = rows(1000, 200);
      const { received, dataFrames } = await send(records, 65536);
      assert.deepEqual(received, records);
      assert.ok(dataFrames.length >= 4, `${dataFrames.length} DATA frames`);
      for (const size of dataFrames) {
        assert.ok(size <= 65536, `a DATA frame of ${size} bytes`);
      }
      // Packed full: no more frames than the bytes need, plus one.
      const bytes = dataFrames.reduce((a, b) => a + b, 0);
      assert.ok(dataFrames.length <= Math.ceil(bytes / 65536) + 1);
    });

    test("a record too large for any frame fails the pipeline with a RangeError naming its size and the limit", async () => {
      const big = { i: 3, s: "y".repeat(70_000) };
      // Header (17 bytes), "[", the record's JSON, "]".
      const needs = 17 + 2 + JSON.stringify(big).length;
      await assert.rejects(
        send([...rows(3, 10), big], 65536),
        (error: Error) => {
          const cause = error.cause as Error;
          assert.ok(cause instanceof RangeError, String(cause));
          assert.equal(
            cause.message,
            `Cannot send record 3 of the batch: its DATA frame alone needs ${needs} bytes, above the reader's maxFrameBytes 65536`,
          );
          return true;
        },
      );
    });

    test("with a deadLetter sink, only the record too large becomes a dead letter", async () => {
      const letters = collect<DeadLetter>();
      const big = { i: 2, s: "y".repeat(70_000) };
      const records = [...rows(2, 10), big, { i: 3, s: "z" }];
      const { received, summary } = await send(
        records,
        65536,
        letters,
      );
      assert.deepEqual(received, [records[0], records[1], records[3]]);
      assert.equal(summary.recordsDeadLettered, 1);
      assert.equal(letters.records.length, 1);
      assert.deepEqual(letters.records[0]!.record, big);
      assert.ok(letters.records[0]!.error instanceof RangeError);
      assert.match(
        String(letters.records[0]!.error),
        /needs \d+ bytes, above the reader's maxFrameBytes 65536/,
      );
    });
  });
}

/**
 * One end of an in-memory connection pair: bytes written on one end are
 * read on the other, copied, as a socket would.
 */
function connectionPair(): [ChannelConnection, ChannelConnection] {
  const controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
  const closeAll = () => {
    for (const controller of controllers) {
      try {
        controller.close();
      } catch {
        // closed already
      }
    }
  };
  const end = (from: number, to: number): ChannelConnection => ({
    readable: new ReadableStream<Uint8Array>({
      start: (controller) => void (controllers[from] = controller),
    }),
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        controllers[to]!.enqueue(chunk.slice());
      },
    }),
    remote: "memory",
    close: closeAll,
  });
  return [end(0, 1), end(1, 0)];
}

/** The reading end of a connection, scripted frame by frame by a test. */
class ScriptedReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #decoder = new FrameDecoder();
  #queued: ChannelMessage[] = [];
  /** The size in bytes of every frame received, in order. */
  sizes: number[] = [];
  #pending = new Uint8Array(0);

  readonly connection: ChannelConnection;

  constructor(connection: ChannelConnection) {
    this.connection = connection;
    this.#reader = connection.readable.getReader();
    this.#writer = connection.writable.getWriter();
  }

  async next(): Promise<ChannelMessage | null> {
    while (this.#queued.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#measure(value);
      this.#queued.push(...this.#decoder.push(value));
    }
    return this.#queued.shift()!;
  }

  /** Records frame sizes from the length prefixes. */
  #measure(chunk: Uint8Array): void {
    const bytes = new Uint8Array(this.#pending.length + chunk.length);
    bytes.set(this.#pending);
    bytes.set(chunk, this.#pending.length);
    let at = 0;
    while (bytes.length - at >= 4) {
      const view = new DataView(bytes.buffer, at);
      const size = 4 + view.getUint32(0);
      if (bytes.length - at < size) break;
      this.sizes.push(size);
      at += size;
    }
    this.#pending = bytes.slice(at);
  }

  send(message: ChannelMessage): Promise<void> {
    return this.#writer.write(encodeFrame(message));
  }

  /** Reads HELLO and answers WELCOME with these fields. */
  async welcome(
    fields: { maxFrameBytes: number; credit: number; nextSeq?: number },
  ): Promise<ChannelMessage> {
    const hello = await this.next();
    assert.equal(hello?.type, "hello");
    await this.send({
      type: "welcome",
      version: 1,
      nextSeq: 1,
      heartbeatMs: 0,
      ...fields,
    });
    return hello!;
  }

  /** Reads DATA frames until they hold `records` records. */
  async data(records: number): Promise<{ seq: number; records: unknown[] }[]> {
    const out: { seq: number; records: unknown[] }[] = [];
    let count = 0;
    while (count < records) {
      const message = await this.next();
      assert.equal(message?.type, "data", `frame ${out.length + 1}`);
      if (message?.type === "data") {
        out.push(message);
        count += message.records.length;
      }
    }
    return out;
  }
}

/** `promise`, or a failure after `ms` milliseconds. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nothing in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A channelWriter whose connections the test answers, one at a time. */
function scripted(options: { batchRecords?: number } = {}) {
  const readers: ScriptedReader[] = [];
  const waiting: ((reader: ScriptedReader) => void)[] = [];
  const sink = channelWriter<Row>(() => {
    const [writerEnd, readerEnd] = connectionPair();
    const reader = new ScriptedReader(readerEnd);
    readers.push(reader);
    waiting.shift()?.(reader);
    return Promise.resolve(writerEnd);
  }, { stream: "split", reconnect, endTimeoutMs: 100, ...options });
  const underlying = sink[BATCH_SINK];
  const abort = new AbortController();
  return {
    sink,
    /** The next connection the writer opens. */
    connection(): Promise<ScriptedReader> {
      const opened = readers.length;
      return new Promise((resolve) => {
        if (readers.length > opened) resolve(readers[opened]!);
        else waiting.push(resolve);
      });
    },
    /** Writes a batch; `acked` settles when its deferred ack is called. */
    write(records: Row[]) {
      let settle!: (error: unknown) => void;
      const acked = new Promise<unknown>((resolve) => settle = resolve);
      let calls = 0;
      const written = Promise.resolve(underlying.write(records, {
        signal: abort.signal,
        defer: () => (error?: unknown) => {
          calls++;
          settle(error ?? "stored");
        },
      }));
      return { written, acked, calls: () => calls };
    },
    async close() {
      abort.abort(new Error("test over"));
      await underlying.abort?.(new Error("test over"));
    },
  };
}

describe("channelWriter() against a scripted reader: split batches", () => {
  test("frames fit the WELCOME's maxFrameBytes, seqs follow each other, and the batch is stored only once every frame is acknowledged", async () => {
    const writer = scripted();
    const opened = writer.connection();
    const records = rows(40, 100); // about 4.5 KB as one frame
    const batch = writer.write(records);
    const reader = await opened;
    await reader.welcome({ maxFrameBytes: 1024, credit: 100 });
    await batch.written;
    // 40 records of about 115 bytes, 8 to a 1024-byte frame: 5 frames.
    const frames = await reader.data(40);
    assert.deepEqual(frames.map((f) => f.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(frames.flatMap((f) => f.records), records);
    const dataSizes = reader.sizes.slice(1);
    assert.equal(dataSizes.length, 5);
    for (const size of dataSizes) assert.ok(size <= 1024, `${size} bytes`);
    await reader.send({ type: "ack", seq: 4 });
    const early = await Promise.race([
      batch.acked,
      new Promise((resolve) => setTimeout(() => resolve("waiting"), 50)),
    ]);
    assert.equal(early, "waiting", "acknowledged before its last frame");
    await reader.send({ type: "ack", seq: 5 });
    assert.equal(await batch.acked, "stored");
    assert.equal(batch.calls(), 1);
    // The next batch takes the next seq.
    const next = writer.write(rows(1, 10));
    await next.written;
    const [after] = await reader.data(1);
    assert.equal(after!.seq, 6);
    await writer.close();
  });

  test("frames not yet sent are split again for a new reader with a smaller limit", async () => {
    const writer = scripted();
    const first = writer.connection();
    const records = rows(40, 100);
    const batch = writer.write(records);
    const one = await first;
    // A reader with a large limit and no credit: the batch waits as one frame.
    await one.welcome({ maxFrameBytes: 1 << 20, credit: 0 });
    const second = writer.connection();
    one.connection.close();
    const two = await second;
    const hello = await two.welcome({ maxFrameBytes: 1024, credit: 100 });
    assert.equal(hello.type === "hello" && hello.firstSeq, 1);
    await batch.written;
    const frames = await two.data(40);
    assert.deepEqual(frames.map((f) => f.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(frames.flatMap((f) => f.records), records);
    for (const size of two.sizes.slice(1)) assert.ok(size <= 1024);
    await two.send({ type: "ack", seq: 5 });
    assert.equal(await batch.acked, "stored");
    await writer.close();
  });

  test("a frame sent before and above the new reader's limit fails the writer (a seq always carries the same records)", async () => {
    const writer = scripted();
    const first = writer.connection();
    const batch = writer.write(rows(40, 100));
    const one = await first;
    await one.welcome({ maxFrameBytes: 1 << 20, credit: 10 });
    await batch.written;
    await one.data(40);
    const second = writer.connection();
    one.connection.close();
    const two = await second;
    await two.welcome({ maxFrameBytes: 1024, credit: 10 });
    const close = await two.next();
    assert.equal(close?.type, "close");
    assert.equal(close?.type === "close" && close.code, 4007);
    const error = await batch.acked;
    assert.ok(error instanceof RangeError, String(error));
    assert.match(
      error.message,
      /DATA 1, sent before, is \d+ bytes, above the reader's maxFrameBytes 1024/,
    );
    await writer.close();
  });

  test("a pipeline failing on a record too large closes the writer's connection", async () => {
    const writer = scripted();
    const opened = writer.connection();
    const failing = pipeline(
      [{ i: 0, s: "x".repeat(2000) }],
      writer.sink,
    );
    const reader = await opened;
    await reader.welcome({ maxFrameBytes: 1024, credit: 10 });
    await assert.rejects(Promise.resolve(failing), /above the reader's/);
    // The writer tells the reader it goes away and hangs up: no connection
    // (with its heartbeat timer) is left to keep the process alive.
    const close = await within(reader.next(), 5000);
    assert.equal(close?.type === "close" && close.code, 1001);
    assert.equal(await within(reader.next(), 5000), null);
  });

  test("batchRecords still bounds the records of each frame", async () => {
    const writer = scripted({ batchRecords: 3 });
    const opened = writer.connection();
    const records = rows(7, 10);
    const batch = writer.write(records);
    const reader = await opened;
    await reader.welcome({ maxFrameBytes: 1 << 20, credit: 100 });
    await batch.written;
    const frames = await reader.data(7);
    assert.deepEqual(frames.map((f) => f.records.length), [3, 3, 1]);
    await reader.send({ type: "ack", seq: 3 });
    assert.equal(await batch.acked, "stored");
    await writer.close();
  });
});

test("channelWriter() refuses limits no connection could use, at once", () => {
  const connect = () => Promise.reject(new Error("never called"));
  for (const maxFrameBytes of [100, 2 ** 30 + 1, 1.5]) {
    assert.throws(
      () => channelWriter(connect, { stream: "s", maxFrameBytes }),
      /^RangeError: Cannot create channelWriter\(\): options\.maxFrameBytes must be an integer from 1024 to 1073741824/,
    );
  }
  assert.throws(
    () => channelWriter(connect, { stream: "s", batchRecords: 2 ** 20 + 1 }),
    /options\.batchRecords must be an integer from 1 to 1048576/,
  );
});
