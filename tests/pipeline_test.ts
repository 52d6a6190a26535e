// Cross-runtime tests of pipeline(): run by `deno test` against the source
// and by Node 22 and 24 (`node --test`) against the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batchSink,
  collect,
  filter,
  map,
  pipeline,
  StageError,
  take,
} from "@ca/streams";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("pipeline() sources", () => {
  test("drains an array in order and reports the summary", async () => {
    const sink = collect<number>();
    const summary = await pipeline(
      range(5000),
      map((n: number) => n + 1),
      sink,
    );
    assert.deepEqual(sink.records, range(5000).map((n) => n + 1));
    assert.equal(summary.recordsRead, 5000);
    assert.equal(summary.recordsWritten, 5000);
    assert.equal(summary.ended, "finished");
    assert.ok(summary.durationMs >= 0);
  });

  test("reads a sync iterable, an async iterable and a ReadableStream", async () => {
    function* sync() {
      yield* range(3000);
    }
    async function* later() {
      for (const n of range(3000)) {
        if (n % 500 === 0) await sleep(1);
        yield n;
      }
    }
    for (
      const source of [sync(), later(), ReadableStream.from(range(3000))]
    ) {
      const sink = collect<number>();
      const summary = await pipeline(source, sink);
      assert.deepEqual(sink.records, range(3000));
      assert.equal(summary.recordsRead, 3000);
    }
  });

  test("passes records of a slow source on without waiting to fill a batch", async () => {
    const arrivals: number[] = [];
    const started = Date.now();
    async function* slow() {
      yield 1;
      await sleep(300);
      yield 2;
    }
    await pipeline(
      slow(),
      new WritableStream<number>({
        write() {
          arrivals.push(Date.now() - started);
        },
      }),
    );
    assert.equal(arrivals.length, 2);
    assert.ok(
      arrivals[0]! < 200,
      `first record arrived after ${arrivals[0]} ms`,
    );
  });

  test("rejects a source that is not a stream or iterable, naming the argument", () => {
    assert.throws(
      () => pipeline(42 as never, new WritableStream()),
      (error: unknown) =>
        error instanceof TypeError &&
        /source \(argument 1\) must be a ReadableStream/.test(error.message),
    );
    assert.throws(
      () => pipeline([1], {} as never, new WritableStream()),
      /processor 0 \(argument 2\) must be a TransformStream, got Object/,
    );
    assert.throws(
      () => pipeline([1], "sink" as never),
      /sink \(argument 2\) must be a WritableStream, got string/,
    );
    assert.throws(
      () => pipeline([1], new WritableStream(), { batchSize: 0 }),
      (error: unknown) =>
        error instanceof RangeError && /options\.batchSize/.test(error.message),
    );
  });
});

describe("pipeline() sinks and processors", () => {
  test("a plain WritableStream gets one record per write; a batch sink gets arrays", async () => {
    const plain: unknown[] = [];
    await pipeline(
      range(3000),
      new WritableStream({
        write(chunk) {
          plain.push(chunk);
        },
      }),
    );
    assert.deepEqual(plain, range(3000));

    const sizes: number[] = [];
    await pipeline(
      range(3000),
      batchSink<number>({
        write(records) {
          sizes.push(records.length);
        },
      }),
      { batchSize: 1000 },
    );
    assert.deepEqual(sizes, [1000, 1000, 1000]);
  });

  test("a user's TransformStream gets one record per chunk, among fused processors", async () => {
    const chunks: unknown[] = [];
    class Doubler extends TransformStream<number, number> {
      constructor() {
        super({
          transform(chunk, controller) {
            chunks.push(chunk);
            controller.enqueue(chunk);
            controller.enqueue(chunk);
          },
        });
      }
    }
    const sink = collect<string>();
    await pipeline(
      range(2500),
      filter((n: number) => n % 2 === 0),
      new Doubler(),
      map((n: number) => `#${n}`),
      sink,
    );
    assert.equal(chunks.length, 1250);
    assert.ok(chunks.every((chunk) => typeof chunk === "number"));
    assert.equal(sink.records.length, 2500);
    assert.deepEqual(sink.records.slice(0, 4), ["#0", "#0", "#2", "#2"]);
  });

  test("take() ends the pipeline and releases an endless source", async () => {
    let released = false;
    function* endless() {
      try {
        for (let i = 0;; i++) yield i;
      } finally {
        released = true;
      }
    }
    const sink = collect<number>();
    const summary = await pipeline(endless(), take(10), sink);
    assert.deepEqual(sink.records, range(10));
    assert.equal(summary.recordsWritten, 10);
    assert.ok(released, "the generator's finally block ran");
  });
});

describe("pipeline() lifecycle", () => {
  test("stop() stops reading, drains what is in flight, closes the sink", async () => {
    let closed = false;
    const written: number[] = [];
    async function* ticks() {
      for (let i = 0;; i++) {
        yield i;
        await sleep(1);
      }
    }
    const running = pipeline(
      ticks(),
      map((n: number) => n * 2),
      new WritableStream<number>({
        write(n) {
          written.push(n);
        },
        close() {
          closed = true;
        },
      }),
    );
    assert.equal(running.state, "running");
    await sleep(50);
    const summary = await running.stop();
    assert.ok(closed, "sink closed");
    assert.equal(running.state, "stopped");
    assert.ok(summary.recordsRead > 0);
    assert.equal(summary.recordsWritten, summary.recordsRead);
    assert.deepEqual(written, range(written.length).map((n) => n * 2));
  });

  test("abort(reason) rejects with the reason, aborts the sink and cancels the source", async () => {
    let sinkAbortReason: unknown;
    let cancelReason: unknown;
    const source = new ReadableStream<number>({
      pull(controller) {
        controller.enqueue(1);
        return sleep(1);
      },
      cancel(reason) {
        cancelReason = reason;
      },
    });
    const running = pipeline(
      source,
      map((n: number) => n),
      new WritableStream({
        abort(reason) {
          sinkAbortReason = reason;
        },
      }),
    );
    await sleep(20);
    const reason = new Error("enough");
    await running.abort(reason);
    await assert.rejects(Promise.resolve(running), (error) => error === reason);
    assert.equal(running.state, "stopped");
    assert.equal(sinkAbortReason, reason);
    assert.equal(cancelReason, reason);
  });

  test("options.signal aborts like abort()", async () => {
    const controller = new AbortController();
    async function* endless() {
      for (;;) {
        yield 1;
        await sleep(1);
      }
    }
    const running = pipeline(endless(), new WritableStream(), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("signalled")), 10);
    await assert.rejects(Promise.resolve(running), /signalled/);
    assert.equal(running.state, "stopped");
  });

  test("stopping or aborting a pipeline nobody awaits leaves no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const onEvent = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      unhandled.push(event.reason);
    };
    const proc = (globalThis as { process?: NodeProcessLike }).process;
    if (proc?.on) proc.on("unhandledRejection", onUnhandled);
    else globalThis.addEventListener("unhandledrejection", onEvent);
    const endless = async function* () {
      for (;;) {
        yield 1;
        await sleep(1);
      }
    };
    try {
      const a = pipeline(endless(), new WritableStream());
      const b = pipeline(endless(), new WritableStream());
      const c = pipeline(
        endless(),
        map(() => {
          throw new Error("nobody listens");
        }),
        new WritableStream(),
      );
      a.abort(new Error("aborted, not awaited"));
      b.stop();
      await sleep(100);
      assert.equal(a.state, "stopped");
      assert.equal(b.state, "stopped");
      assert.equal(c.state, "degraded");
      assert.deepEqual(unhandled, []);
    } finally {
      if (proc?.off) proc.off("unhandledRejection", onUnhandled);
      else globalThis.removeEventListener("unhandledrejection", onEvent);
    }
  });
});

interface NodeProcessLike {
  on?(event: string, listener: (reason: unknown) => void): void;
  off?(event: string, listener: (reason: unknown) => void): void;
}

describe("pipeline() failures", () => {
  test("a failing processor rejects with a StageError, cancels the source and aborts the sink", async () => {
    let cancelled = false;
    let sinkAborted = false;
    const source = new ReadableStream<number>({
      start(controller) {
        for (const n of range(5000)) controller.enqueue(n);
      },
      cancel() {
        cancelled = true;
      },
    });
    function parse(n: number): number {
      if (n === 1234) throw new Error("bad record");
      return n;
    }
    const running = pipeline(
      source,
      filter((n: number) => n >= 0),
      map(parse),
      new WritableStream({
        abort() {
          sinkAborted = true;
        },
      }),
    );
    await assert.rejects(Promise.resolve(running), (error: unknown) => {
      assert.ok(error instanceof StageError);
      assert.equal(error.code, "CA_ERR_STAGE");
      assert.equal(error.stageIndex, 1);
      assert.equal(error.stageName, "parse");
      assert.equal(error.recordIndex, 1234);
      assert.equal((error.cause as Error).message, "bad record");
      return true;
    });
    assert.equal(running.state, "degraded");
    assert.ok(running.error instanceof StageError);
    assert.ok(cancelled, "source cancelled");
    assert.ok(sinkAborted, "sink aborted");
  });

  test("a failing sink is stage processors.length, and the source is released", async () => {
    let released = false;
    function* numbers() {
      try {
        yield* range(100_000);
      } finally {
        released = true;
      }
    }
    class Store extends WritableStream<number> {
      constructor() {
        super({
          write(n) {
            if (n === 5000) throw new Error("disk full");
          },
        });
      }
    }
    const running = pipeline(numbers(), map((n: number) => n), new Store());
    await assert.rejects(Promise.resolve(running), (error: unknown) => {
      assert.ok(error instanceof StageError);
      assert.equal(error.stageIndex, 1);
      assert.equal(error.stageName, "Store");
      assert.match(String((error.cause as Error).message), /disk full/);
      return true;
    });
    assert.ok(released);
    assert.ok(running.recordsWritten <= 5000);
  });

  test("a failing user TransformStream and a failing source are named", async () => {
    class Explode extends TransformStream<number, number> {
      constructor() {
        super({
          transform(n, controller) {
            if (n === 3) throw new Error("kaboom");
            controller.enqueue(n);
          },
        });
      }
    }
    await assert.rejects(
      Promise.resolve(pipeline(range(10), new Explode(), new WritableStream())),
      (error: unknown) =>
        error instanceof StageError && error.stageIndex === 0 &&
        error.stageName === "Explode",
    );
    async function* broken() {
      yield 1;
      throw new Error("source broke");
    }
    await assert.rejects(
      Promise.resolve(pipeline(broken(), new WritableStream())),
      (error: unknown) =>
        error instanceof StageError && error.stageIndex === -1 &&
        error.stageName === "source",
    );
  });
});

describe("pipeline() with several user TransformStreams in a row", () => {
  function stage(name: string, failAt: number): TransformStream<number> {
    let seen = 0;
    const named = {
      [name]: class extends TransformStream<number, number> {
        constructor() {
          super({
            transform(n, controller) {
              if (++seen === failAt) throw new Error(`${name} broke`);
              controller.enqueue(n);
            },
          });
        }
      },
    };
    return new named[name]!();
  }

  test("the one that fails is named, and the others pass records on in order", async () => {
    const names = ["Parse", "Check", "Enrich", "Format"];
    for (let failing = 0; failing < names.length; failing++) {
      const stages = names.map((name, k) =>
        stage(name, k === failing ? 1500 : 0)
      );
      await assert.rejects(
        Promise.resolve(
          pipeline(
            range(3000),
            map((n: number) => n),
            ...stages as [TransformStream<number, number>],
            new WritableStream(),
            { batchSize: 100 },
          ),
        ),
        (error: unknown) =>
          error instanceof StageError && error.stageIndex === failing + 1 &&
          error.stageName === names[failing],
      );
    }
    const sink = collect<number>();
    await pipeline(
      range(3000),
      ...names.map((name) => stage(name, 0)) as [
        TransformStream<number, number>,
      ],
      sink,
      { batchSize: 100 },
    );
    assert.deepEqual(sink.records, range(3000));
  });
});

describe("pipeline() backpressure", () => {
  test("a slow sink slows the source: records in flight stay under the bound", async () => {
    const batchSize = 16;
    const processors = 2;
    // The batch being written, the one queued before the sink and one per
    // processor: (processors + 2) batches. Measured here: about 2 batches.
    const bound = (processors + 2) * batchSize;
    let pulled = 0;
    let written = 0;
    let maxInFlight = 0;
    function* endless() {
      for (;;) {
        pulled++;
        yield pulled;
      }
    }
    const running = pipeline(
      endless(),
      map((n: number) => n + 1),
      new TransformStream<number, number>(),
      new WritableStream<number>({
        async write() {
          await sleep(1);
          written++;
          maxInFlight = Math.max(maxInFlight, pulled - written);
        },
      }),
      { batchSize },
    );
    while (written < 300) await sleep(10);
    await running.stop();
    assert.ok(
      maxInFlight <= bound,
      `pulled - written reached ${maxInFlight}, bound ${bound}`,
    );
    // stop() drained what was in flight: nothing read was left behind.
    assert.ok(
      pulled - written <= bound,
      `after stop(): pulled ${pulled}, written ${written}`,
    );
  });
});

describe("pipeline() graceful stop", () => {
  test("stop() during async processing drains the batch already read", async () => {
    const written: number[] = [];
    async function* numbers() {
      for (let i = 0;; i++) yield i;
    }
    const running = pipeline(
      numbers(),
      map((n: number) =>
        new Promise<number>((resolve) => setTimeout(() => resolve(n), 1))
      ),
      new WritableStream<number>({
        write(n) {
          written.push(n);
        },
      }),
      { batchSize: 20 },
    );
    await sleep(30);
    const summary = await running.stop();
    assert.equal(summary.recordsWritten, summary.recordsRead);
    assert.deepEqual(written, range(written.length));
  });
});
