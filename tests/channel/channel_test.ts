// Copyright 2026 the @ca/streams authors. MIT license.
// channelWriter() → TCP → channelReader(), in one process, on the runtime
// the test runs on (Deno, or Node 22/24).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { tap } from "../../src/processors/tap.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import { tcpConnect, tcpListen } from "../../connectors/channel_tcp/mod.ts";
import type { ChannelConnection } from "../../src/transport/channel_connection.ts";

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("channel over TCP", () => {
  test("200,000 records arrive once each, in order", async () => {
    const listener = await tcpListen({ port: 0 });
    const received = collect<{ id: number }>();
    const reading = pipeline(
      channelReader<{ id: number }>(listener, { stream: "s" }),
      received,
    );
    const summary = await pipeline(
      range(200_000).map((id) => ({ id })),
      channelWriter<{ id: number }>(() => tcpConnect({ port: listener.port }), {
        stream: "s",
      }),
    );
    const read = await reading;
    assert.equal(summary.recordsWritten, 200_000);
    assert.equal(read.recordsWritten, 200_000);
    assert.deepEqual(received.records.map((r) => r.id), range(200_000));
  });

  test("a slow reader slows the writer: records in flight stay within the credit window", async () => {
    const listener = await tcpListen({ port: 0 });
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
      channelWriter<number>(() => tcpConnect({ port: listener.port }), {
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
    assert.ok(maxInFlight <= bound, `in flight ${maxInFlight}, bound ${bound}`);
    assert.equal(stored, 5000);
  });

  test("connections dropped mid-stream: the writer reconnects and resends; the reader drops duplicates", async () => {
    const listener = await tcpListen({ port: 0 });
    const received = collect<number>();
    const reading = pipeline(
      channelReader<number>(listener, { stream: "r", heartbeatMs: 0 }),
      received,
    );
    const open: ChannelConnection[] = [];
    let connects = 0;
    const connect = async () => {
      connects++;
      const connection = await tcpConnect({ port: listener.port });
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
    assert.deepEqual(received.records, range(50_000));
  });

  test("a wrong token fails the writer with CA_ERR_AUTH; an unknown stream with 4008", async () => {
    const listener = await tcpListen({ port: 0 });
    const reading = pipeline(
      channelReader<number>(listener, { stream: "guarded", token: "right" }),
      collect<number>(),
    );
    await assert.rejects(
      Promise.resolve(pipeline(
        [1],
        channelWriter<number>(() => tcpConnect({ port: listener.port }), {
          stream: "guarded",
          token: "wrong",
        }),
      )),
      (error: unknown) =>
        (error as { cause?: { code?: string } }).cause?.code === "CA_ERR_AUTH",
    );
    await assert.rejects(
      Promise.resolve(pipeline(
        [1],
        channelWriter<number>(() => tcpConnect({ port: listener.port }), {
          stream: "elsewhere",
          token: "right",
        }),
      )),
      (error: unknown) =>
        (error as { cause?: { closeCode?: number } }).cause?.closeCode ===
          4008,
    );
    await running(reading);
  });
});

describe("channel over TCP, closing", () => {
  test("a writer that passes its signal to tcpConnect closes cleanly", async () => {
    const listener = await tcpListen({ port: 0 });
    const received = collect<number>();
    const reading = pipeline(
      channelReader<number>(listener, { stream: "signal" }),
      received,
    );
    await pipeline(
      range(2000),
      channelWriter<number>(
        (signal) => tcpConnect({ port: listener.port }, { signal }),
        { stream: "signal" },
      ),
    );
    await reading;
    assert.deepEqual(received.records, range(2000));
  });
});

/** Stops a reader pipeline that no writer will end. */
async function running(reading: { abort(reason?: unknown): Promise<void> }) {
  await reading.abort(new Error("test over"));
}
