// Type-level contract of pipeline(), checked by `deno check` (part of
// `npm test`): types infer through the chain, and unrelated neighbour types
// are compile errors. The runtime part only shows the code runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  batch,
  collect,
  filter,
  map,
  mapConcurrent,
  pipeline,
  type PipelineSummary,
  tap,
  unbatch,
} from "@ca/streams";

interface Order {
  id: number;
  total: number;
}

test("types flow through twelve processors", async () => {
  const sink = collect<string>();
  const running = pipeline(
    [1, 2, 3],
    map((n) => ({ id: n, total: n * 10 })), // n: number, inferred from the source
    filter((order) => order.total > 10),
    map((order) => order.total),
    tap((total) => void total.toFixed()),
    map((total) => Promise.resolve(total + 1)),
    batch(2),
    unbatch(),
    mapConcurrent((total) => String(total), { concurrency: 2 }),
    map((text) => text.length),
    map((length) => length * 2),
    map((n) => n.toString(16)),
    map((hex) => hex.toUpperCase()),
    sink,
  );
  const summary: PipelineSummary = await running;
  assert.equal(summary.recordsWritten, 2);
});

test("mismatched neighbours do not compile", () => {
  const toOrder = map((n: number): Order => ({ id: n, total: n }));
  const onStrings = map((s: string) => s.length);
  const numbers = new WritableStream<number>();
  const strings = new WritableStream<string>();

  const checks = () => {
    // @ts-expect-error an Order is not a string
    pipeline([1], toOrder, onStrings, numbers);
    // @ts-expect-error the sink takes strings, the source gives numbers
    pipeline([1, 2], strings);
    // @ts-expect-error the source gives strings, map() wants numbers
    pipeline(["a"], map((n: number) => n), numbers);
    // @ts-expect-error unknown options are rejected
    pipeline([1], numbers, { batchSise: 10 });
  };
  assert.equal(typeof checks, "function");
});
