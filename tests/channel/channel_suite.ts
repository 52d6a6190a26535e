// Copyright 2026 the @ca/streams authors. MIT license.
// channelWriter() → transport → channelReader(), in one process, on the
// runtime the test runs on. One suite, run over every transport
// (channel_test.ts): the channel's promises do not depend on the wire.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { batchSink, collect, pipeline, tap } from "@ca/streams";
import {
  type ChannelConnection,
  type ChannelListener,
  channelReader,
  channelWriter,
} from "@ca/streams/channel";

/** How a suite listens and dials on one transport. */
export interface ChannelTransport {
  /** Listens on a free port. */
  listen(
    options?: { maxFrameBytes?: number },
  ): Promise<ChannelListener>;
  /** Dials the listener on `port`. */
  dial(port: number, signal: AbortSignal): Promise<ChannelConnection>;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Stops a reader pipeline that no writer will end. */
async function stopReading(
  reading: { abort(reason?: unknown): Promise<void> },
): Promise<void> {
  await reading.abort(new Error("test over"));
}

/**
 * A listener that hands out its connections and remembers them, so a test
 * can close them from the reader's side.
 */
function watched(
  listener: ChannelListener,
  accepted: ChannelConnection[],
): ChannelListener & { accepts: number } {
  const watcher = {
    accepts: 0,
    port: listener.port,
    close: () => listener.close(),
    async *[Symbol.asyncIterator]() {
      for await (const connection of listener) {
        watcher.accepts++;
        accepted.push(connection);
        yield connection;
      }
    },
  };
  return watcher;
}

/** Registers the channel tests over `transport`, named `label`. */
export function channelSuite(label: string, transport: ChannelTransport): void {
  const { listen, dial } = transport;

  describe(`channel over ${label}`, () => {
    test("200,000 records arrive once each, in order", async () => {
      const listener = await listen();
      const received = collect<{ id: number }>();
      const reading = pipeline(
        channelReader<{ id: number }>(listener, { stream: "s" }),
        received,
      );
      const summary = await pipeline(
        range(200_000).map((id) => ({ id })),
        channelWriter<{ id: number }>(
          (signal) => dial(listener.port, signal),
          { stream: "s" },
        ),
      );
      const read = await reading;
      assert.equal(summary.recordsWritten, 200_000);
      assert.equal(read.recordsWritten, 200_000);
      assert.deepEqual(received.records.map((r) => r.id), range(200_000));
    });

    test("a slow reader slows the writer: records in flight stay within the credit window", async () => {
      const listener = await listen();
      const window = 4;
      const batchRecords = 50;
      let entered = 0;
      let stored = 0;
      let maxInFlight = 0;
      const reading = pipeline(
        channelReader<number>(listener, { stream: "slow", window }),
        batchSink<number>({
          async write(records) {
            await sleep(5);
            stored += records.length;
          },
        }),
      );
      await pipeline(
        range(5000),
        tap(() => {
          entered++;
          maxInFlight = Math.max(maxInFlight, entered - stored);
        }),
        channelWriter<number>((signal) => dial(listener.port, signal), {
          stream: "slow",
          batchRecords,
        }),
        { batchSize: batchRecords },
      );
      await reading;
      // The credit window, plus what the writer's own pipeline holds before
      // its sink (the batch being written and one queued) and the batch
      // being tapped.
      const bound = (window + 3) * batchRecords;
      assert.ok(
        maxInFlight <= bound,
        `in flight ${maxInFlight}, bound ${bound}`,
      );
      assert.ok(maxInFlight > window * batchRecords / 2, "the window was used");
      assert.equal(stored, 5000);
    });

    test("the writer's side dropping connections mid-stream: it reconnects and resends; the reader drops duplicates", async () => {
      const listener = await listen();
      // A sink slow enough that the connections drop mid-stream.
      const received: number[] = [];
      const reading = pipeline(
        channelReader<number>(listener, { stream: "r", heartbeatMs: 0 }),
        batchSink<number>({
          async write(records) {
            await sleep(1);
            received.push(...records);
          },
        }),
      );
      const open: ChannelConnection[] = [];
      let connects = 0;
      const connect = async (signal: AbortSignal) => {
        connects++;
        const connection = await dial(listener.port, signal);
        open.push(connection);
        return connection;
      };
      const chaos = setInterval(() => open.shift()?.close(), 15);
      try {
        await pipeline(
          range(50_000),
          channelWriter<number>(connect, {
            stream: "r",
            batchRecords: 100,
            reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
          }),
          { batchSize: 100 },
        );
      } finally {
        clearInterval(chaos);
      }
      await reading;
      assert.ok(connects > 2, `only ${connects} connections`);
      assert.deepEqual(received, range(50_000));
    });

    test("the reader's side dropping connections mid-stream, even after the last ACK, loses nothing and still ends", async () => {
      const accepted: ChannelConnection[] = [];
      const inner = await listen();
      const listener = watched(inner, accepted);
      // A sink slow enough that the connections drop mid-stream.
      const received: number[] = [];
      const reading = pipeline(
        channelReader<number>(listener, { stream: "d", heartbeatMs: 0 }),
        batchSink<number>({
          async write(records) {
            await sleep(1);
            received.push(...records);
          },
        }),
      );
      const chaos = setInterval(() => accepted.shift()?.close(), 20);
      try {
        await pipeline(
          range(30_000),
          channelWriter<number>((signal) => dial(inner.port, signal), {
            stream: "d",
            batchRecords: 100,
            reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
          }),
          { batchSize: 100 },
        );
      } finally {
        clearInterval(chaos);
      }
      await reading;
      assert.ok(listener.accepts > 2, `only ${listener.accepts} connections`);
      assert.deepEqual(received, range(30_000));
    });

    test("a wrong token fails the writer with CA_ERR_AUTH; an unknown stream with 4008", async () => {
      const listener = await listen();
      const reading = pipeline(
        channelReader<number>(listener, { stream: "guarded", token: "right" }),
        collect<number>(),
      );
      await assert.rejects(
        Promise.resolve(pipeline(
          [1],
          channelWriter<number>((signal) => dial(listener.port, signal), {
            stream: "guarded",
            token: "wrong",
          }),
        )),
        (error: unknown) =>
          (error as { cause?: { code?: string } }).cause?.code ===
            "CA_ERR_AUTH",
      );
      await assert.rejects(
        Promise.resolve(pipeline(
          [1],
          channelWriter<number>((signal) => dial(listener.port, signal), {
            stream: "elsewhere",
            token: "right",
          }),
        )),
        (error: unknown) =>
          (error as { cause?: { closeCode?: number } }).cause?.closeCode ===
            4008,
      );
      await stopReading(reading);
    });

    test("a record too large for the reader's maxFrameBytes fails the writer before it is sent", async () => {
      const listener = await listen({ maxFrameBytes: 4096 });
      const reading = pipeline(
        channelReader<string>(listener, { stream: "big", maxFrameBytes: 4096 }),
        collect<string>(),
      );
      await assert.rejects(
        Promise.resolve(pipeline(
          ["x".repeat(10_000)],
          channelWriter<string>((signal) => dial(listener.port, signal), {
            stream: "big",
          }),
        )),
        (error: unknown) =>
          (error as { cause?: unknown }).cause instanceof RangeError &&
          /above the reader's maxFrameBytes 4096/.test(String(error)),
      );
      await stopReading(reading);
    });

    test("aborting a writer's pipeline while its reader is gone ends it at once", async () => {
      const listener = await listen();
      const reading = pipeline(
        channelReader<number>(listener, { stream: "gone", window: 2 }),
        batchSink<number>({ write: () => sleep(1) }),
      );
      let emitted = 0;
      const writing = pipeline(
        (function* () {
          for (;;) yield emitted++;
        })(),
        channelWriter<number>((signal) => dial(listener.port, signal), {
          stream: "gone",
          reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
        }),
      );
      while (emitted < 10_000) await sleep(5);
      await stopReading(reading);
      await sleep(50); // the writer waits for credit, reconnecting
      const started = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        writing.abort(new Error("stop")).then(() => "aborted"),
        new Promise((resolve) => timer = setTimeout(resolve, 5000, "hung")),
      ]);
      clearTimeout(timer);
      const ms = performance.now() - started;
      assert.equal(outcome, "aborted", `abort still pending after ${ms} ms`);
      assert.ok(ms < 2000, `abort took ${ms} ms`);
      await assert.rejects(Promise.resolve(writing), /stop/);
    });

    test("after a reader restart, records in flight still stay within the credit window", async () => {
      const window = 4;
      const batchRecords = 50;
      let entered = 0;
      let stored = 0;
      let maxInFlight = 0;
      let restarted = false;
      const slowSink = () =>
        batchSink<number>({
          async write(records) {
            await sleep(2);
            stored += records.length;
            if (restarted) {
              maxInFlight = Math.max(maxInFlight, entered - stored);
            }
          },
        });
      let listener = await listen();
      let reading = pipeline(
        channelReader<number>(listener, { stream: "again", window }),
        slowSink(),
      );
      const writing = pipeline(
        range(6000),
        tap(() => {
          entered++;
          if (restarted) maxInFlight = Math.max(maxInFlight, entered - stored);
        }),
        channelWriter<number>((signal) => dial(listener.port, signal), {
          stream: "again",
          batchRecords,
          reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
        }),
        { batchSize: batchRecords },
      );
      while (stored < 1000) await sleep(2);
      // The first reader goes; a new one (no checkpoint) takes over. What
      // the old one accepted but did not store comes again.
      await reading.abort(new Error("restart"));
      listener = await listen();
      entered = stored; // in flight counts from what the new reader stores
      restarted = true;
      reading = pipeline(
        channelReader<number>(listener, { stream: "again", window }),
        slowSink(),
      );
      await writing;
      await reading;
      const bound = (window + 3) * batchRecords;
      assert.ok(
        maxInFlight <= bound,
        `in flight ${maxInFlight} after the restart, bound ${bound}`,
      );
    });

    test("a writer with nothing to send still ends the reader's stream", async () => {
      const listener = await listen();
      const received = collect<number>();
      const reading = pipeline(
        channelReader<number>(listener, { stream: "empty" }),
        received,
      );
      await pipeline(
        [],
        channelWriter<number>((signal) => dial(listener.port, signal), {
          stream: "empty",
        }),
      );
      const summary = await reading;
      assert.equal(summary.recordsWritten, 0);
    });
  });
}
