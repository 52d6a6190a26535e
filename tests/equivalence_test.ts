// Fusion and batching must not change results: random chains of processors
// give the same output inside pipeline() as piped one record at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  batch,
  collect,
  filter,
  flatMap,
  map,
  mapConcurrent,
  observeBatches,
  pipeline,
  take,
  tap,
  unbatch,
} from "@ca/streams";

/** Small seeded PRNG (mulberry32) so failures can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Make = () => TransformStream<number, number>;
const factories: Array<[string, Make]> = [
  ["map", () => map((n: number, i: number) => n * 3 + (i % 7))],
  ["async map", () => map((n: number) => Promise.resolve(n - 1))],
  [
    "mixed map",
    () => map((n: number) => n % 5 === 0 ? Promise.resolve(n + 2) : n + 2),
  ],
  ["filter", () => filter((n: number) => n % 3 !== 0)],
  ["async filter", () => filter((n: number) => Promise.resolve(n % 4 !== 1))],
  ["flatMap", () => flatMap((n: number) => n % 3 === 0 ? [] : [n, n + 1])],
  ["tap", () => tap(() => {})],
  ["observeBatches", () => observeBatches(() => {})],
  ["take", () => take(150)],
  [
    "batch+unbatch",
    () => {
      const grouped = batch<number>(7);
      const flat = unbatch<number>();
      void grouped.readable.pipeTo(flat.writable).catch(() => {});
      return { writable: grouped.writable, readable: flat.readable };
    },
  ],
  [
    "mapConcurrent",
    () =>
      mapConcurrent((n: number) => Promise.resolve(n ^ 5), { concurrency: 3 }),
  ],
  [
    "user TransformStream",
    () =>
      new TransformStream<number, number>({
        transform(n, controller) {
          if (n % 2 === 0) controller.enqueue(n / 2);
          controller.enqueue(n);
        },
      }),
  ],
];

test("random processor chains give the same output in and out of pipeline()", async () => {
  for (let seed = 1; seed <= 150; seed++) {
    const next = random(seed);
    const length = 1 + Math.floor(next() * 6);
    const picks = Array.from(
      { length },
      () => factories[Math.floor(next() * factories.length)]!,
    );
    const input = Array.from(
      { length: Math.floor(next() * 3000) },
      () => Math.floor(next() * 1000),
    );
    const batchSize = [1, 3, 64, 1024][Math.floor(next() * 4)]!;

    let expected: ReadableStream<number> = ReadableStream.from(input);
    for (const [, make] of picks) expected = expected.pipeThrough(make());
    const want = await Array.fromAsync(expected);

    const sink = collect<number>();
    const processors = picks.map(([, make]) => make());
    await (pipeline as (...args: unknown[]) => PromiseLike<unknown>)(
      input,
      ...processors,
      sink,
      { batchSize },
    );
    assert.deepEqual(
      sink.records,
      want,
      `seed ${seed}: ${
        picks.map(([name]) => name).join(" → ")
      }, batchSize ${batchSize}`,
    );
  }
});
