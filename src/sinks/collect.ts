// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { batchSink } from "./batch_sink.ts";
import type { BatchSink } from "./batch_sink.ts";

/**
 * A sink that keeps every record written to it, in order.
 *
 * @example Keep the first two records
 * ```ts
 * import { collect, pipeline, take } from "@ca/streams";
 * import type { CollectSink } from "@ca/streams";
 *
 * const sink: CollectSink<number> = collect();
 * await pipeline([5, 6, 7], take(2), sink);
 * if (sink.records.join() !== "5,6") throw new Error(`unexpected ${sink.records}`);
 * ```
 */
export interface CollectSink<T> extends BatchSink<T> {
  /** The records written so far. */
  readonly records: T[];
}

/**
 * Creates a sink that collects every record into an array: for tests,
 * examples and small results.
 *
 * @typeParam T The record type.
 * @returns A batch-aware sink whose `records` holds what was written.
 *
 * @example Collect a pipeline's output
 * ```ts
 * import { collect, map, pipeline } from "@ca/streams";
 *
 * const sink = collect<string>();
 * await pipeline([1, 2], map((n: number) => `#${n}`), sink);
 * if (sink.records.join() !== "#1,#2") throw new Error("unexpected");
 * ```
 */
export function collect<T>(): CollectSink<T> {
  const records: T[] = [];
  const sink = batchSink<T>({
    write(batch) {
      for (let i = 0; i < batch.length; i++) records.push(batch[i]!);
    },
  });
  Object.defineProperty(sink, "records", { value: records, enumerable: true });
  return sink as CollectSink<T>;
}
