// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { RecordError } from "../errors/record_error.ts";
import { finishAsync } from "../pipeline/finish_async.ts";
import { processorStream } from "../pipeline/processor_stream.ts";
import { isThenable } from "../pipeline/thenable.ts";
import { appendIterable } from "./append_iterable.ts";
import { assertFunction } from "./assert_function.ts";

/**
 * Returns a processor that replaces each record with every value of the
 * iterable `fn(record, index)` returns: none, one or many.
 *
 * `fn` may be sync or async (awaited only when it returns a thenable). If
 * it throws, rejects or returns something that is not iterable, the stream
 * errors with a `RecordError` carrying the index.
 *
 * @typeParam I The input record type.
 * @typeParam O The output record type.
 * @param fn Returns the records that replace one input record.
 * @returns A `TransformStream` from `I` to `O`.
 *
 * @example Split sentences into words
 * ```ts
 * import { flatMap } from "@ca/streams";
 *
 * const words = ReadableStream.from(["a b", "c"])
 *   .pipeThrough(flatMap((line: string) => line.split(" ")));
 * const out = await Array.fromAsync(words);
 * if (out.join() !== "a,b,c") throw new Error(`unexpected ${out}`);
 * ```
 */
export function flatMap<I, O>(
  fn: (record: I, index: number) => Iterable<O> | PromiseLike<Iterable<O>>,
): TransformStream<I, O> {
  assertFunction("flatMap", "fn", fn);
  return processorStream<I, O>({
    kind: "op",
    name: fn.name || "flatMap",
    create() {
      let index = 0;
      const call = (record: I) => fn(record, index);
      const fail = (error: unknown) => new RecordError(index, error);
      function append(out: O[], values: Iterable<O>): void {
        if (!appendIterable(out, values)) {
          throw fail(
            new TypeError(
              `Cannot flatten the result: expected an iterable, got ${
                values === null ? "null" : typeof values
              }`,
            ),
          );
        }
        index++;
      }
      return {
        apply(records) {
          const out: O[] = [];
          for (let i = 0; i < records.length; i++) {
            let result: Iterable<O> | PromiseLike<Iterable<O>>;
            try {
              result = fn(records[i]!, index);
            } catch (error) {
              throw fail(error);
            }
            if (isThenable(result)) {
              const use = (values: Iterable<O>) => append(out, values);
              return finishAsync(records, i, result, call, use, fail)
                .then(() => out);
            }
            append(out, result);
          }
          return out;
        },
      };
    },
  });
}
