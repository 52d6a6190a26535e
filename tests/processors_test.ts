// Each processor used alone, as a plain TransformStream: the way a user
// unit-tests a processor. Runs on Deno (source) and Node 22/24 (dist).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batch,
  filter,
  flatMap,
  map,
  mapConcurrent,
  RecordError,
  take,
  tap,
  unbatch,
} from "@ca/streams";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
const run = <I, O>(input: I[], processor: TransformStream<I, O>) =>
  Array.fromAsync(ReadableStream.from(input).pipeThrough(processor));

describe("processors used alone", () => {
  test("map() passes the index and awaits only thenables", async () => {
    assert.deepEqual(
      await run(["a", "b"], map((s: string, i: number) => `${s}${i}`)),
      ["a0", "b1"],
    );
    assert.deepEqual(
      await run([1, 2, 3], map((n: number) => Promise.resolve(n * 10))),
      [10, 20, 30],
    );
    // A thenable that is not a Promise, as some client libraries return.
    const thenable = (value: number) =>
      ({
        then(resolve: (v: number) => void) {
          resolve(value);
        },
      }) as unknown as PromiseLike<number>;
    assert.deepEqual(await run([1, 2], map((n: number) => thenable(n + 1))), [
      2,
      3,
    ]);
  });

  test("map() errors carry the record index and the original cause", async () => {
    const cause = new Error("nope");
    await assert.rejects(
      run(
        [1, 2, 3, 4],
        map((n: number) => {
          if (n === 3) throw cause;
          return n;
        }),
      ),
      (error: unknown) =>
        error instanceof RecordError && error.index === 2 &&
        error.code === "CA_ERR_RECORD" && error.cause === cause,
    );
    await assert.rejects(
      run(
        [1, 2],
        map((n: number) =>
          n === 2 ? Promise.reject(cause) : Promise.resolve(n)
        ),
      ),
      (error: unknown) => error instanceof RecordError && error.index === 1,
    );
  });

  test("filter() keeps truthy results, sync or async, and narrows types", async () => {
    const isString = (v: unknown): v is string => typeof v === "string";
    const strings: string[] = await run([1, "a", 2, "b"], filter(isString));
    assert.deepEqual(strings, ["a", "b"]);
    assert.deepEqual(
      await run(range(6), filter((n: number) => Promise.resolve(n % 3 === 0))),
      [0, 3],
    );
  });

  test("flatMap() expands to zero, one or many records", async () => {
    assert.deepEqual(
      await run([0, 1, 2], flatMap((n: number) => Array(n).fill(n))),
      [1, 2, 2],
    );
    assert.deepEqual(
      await run(
        ["a b"],
        flatMap((s: string) => Promise.resolve(new Set(s.split(" ")))),
      ),
      ["a", "b"],
    );
    await assert.rejects(
      run([1], flatMap(() => 5 as unknown as number[])),
      (error: unknown) =>
        error instanceof RecordError && /expected an iterable/.test(
          (error.cause as Error).message,
        ),
    );
  });

  test("tap() sees every record and changes none", async () => {
    const seen: number[] = [];
    assert.deepEqual(
      await run([1, 2, 3], tap((n: number) => Promise.resolve(seen.push(n)))),
      [1, 2, 3],
    );
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test("batch() groups by size and by maxWaitMs", async () => {
    assert.deepEqual(await run(range(5), batch(2)), [[0, 1], [2, 3], [4]]);
    const slow = new ReadableStream<number>({
      async start(controller) {
        controller.enqueue(1);
        await sleep(80);
        controller.enqueue(2);
        controller.enqueue(3);
        controller.close();
      },
    });
    const started = Date.now();
    const reader = slow.pipeThrough(batch<number>(10, { maxWaitMs: 20 }))
      .getReader();
    // [1] alone: the group was cut by maxWaitMs, before 2 and 3 arrived.
    const first = await reader.read();
    assert.deepEqual(first.value, [1]);
    assert.ok(Date.now() - started < 80, "partial group came before the rest");
    assert.deepEqual((await reader.read()).value, [2, 3]);
    assert.equal((await reader.read()).done, true);
    assert.throws(() => batch(0), RangeError);
  });

  test("unbatch() flattens arrays and other iterables", async () => {
    assert.deepEqual(
      await run<Iterable<number>, number>(
        [[1, 2], new Set([3])],
        unbatch<number>(),
      ),
      [1, 2, 3],
    );
  });

  test("take() ends after n records and cancels its input", async () => {
    let cancelled = false;
    const source = new ReadableStream<number>({
      pull(controller) {
        controller.enqueue(1);
      },
      cancel() {
        cancelled = true;
      },
    });
    assert.deepEqual(await Array.fromAsync(source.pipeThrough(take(3))), [
      1,
      1,
      1,
    ]);
    // The pipe cancels its source after the output closed, a few ticks later.
    for (let i = 0; i < 50 && !cancelled; i++) await sleep(1);
    assert.ok(cancelled, "input cancelled within 50 ms");
    assert.deepEqual(await run([1, 2], take(0)), []);
  });

  test("mapConcurrent() overlaps calls up to the limit and keeps order", async () => {
    let active = 0;
    let peak = 0;
    const out = await run(
      range(20),
      mapConcurrent(async (n: number) => {
        active++;
        peak = Math.max(peak, active);
        await sleep(20 - n);
        active--;
        return n * 2;
      }, { concurrency: 4 }),
    );
    assert.deepEqual(out, range(20).map((n) => n * 2));
    assert.equal(peak, 4);
    await assert.rejects(
      run(
        range(10),
        mapConcurrent(async (n: number) => {
          await sleep(1);
          if (n === 6) throw new Error("lookup failed");
          return n;
        }, { concurrency: 3 }),
      ),
      (error: unknown) => error instanceof RecordError && error.index === 6,
    );
    assert.throws(
      () => mapConcurrent((n: number) => n, { concurrency: 0 }),
      /options\.concurrency must be a positive integer, got 0/,
    );
  });

  test("processors reject a missing function, naming the argument", () => {
    assert.throws(
      () => map(undefined as never),
      /Cannot create map\(\): fn must be a function, got undefined/,
    );
    assert.throws(
      () => filter(null as never),
      /Cannot create filter\(\): predicate must be a function, got null/,
    );
  });
});
