// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";
import { appendIterable } from "./append_iterable.ts";

/**
 * Returns a processor that turns each array (or other iterable) record into
 * its elements, one record each: the inverse of `batch()`.
 *
 * @typeParam T The element type.
 * @returns A `TransformStream` from `Iterable<T>` to `T`.
 *
 * @example Flatten groups
 * ```ts
 * import { unbatch } from "@ca/streams";
 *
 * const out = await Array.fromAsync(
 *   ReadableStream.from([[1, 2], [3]]).pipeThrough(unbatch<number>()),
 * );
 * if (out.join() !== "1,2,3") throw new Error(`unexpected ${out}`);
 * ```
 */
export function unbatch<T>(): TransformStream<Iterable<T>, T> {
  return processorStream<Iterable<T>, T>({
    kind: "op",
    name: "unbatch",
    create() {
      let index = 0;
      return {
        apply(records) {
          const out: T[] = [];
          for (const group of records) {
            if (!appendIterable(out, group)) {
              throw new TypeError(
                `Cannot unbatch record ${index}: expected an iterable, got ${
                  group === null ? "null" : typeof group
                }`,
              );
            }
            index++;
          }
          return out;
        },
      };
    },
  });
}
