// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { RecordError } from "../errors/record_error.ts";
import { unwrapExhausted } from "../failures/retrying.ts";
import { processorStream } from "../pipeline/processor_stream.ts";
import { isThenable } from "../util/is_thenable.ts";
import { appendIterable } from "./append_iterable.ts";
import { assertFunction } from "./assert_function.ts";
import type { FunctionOptions } from "./function_options.ts";
import { withRetry } from "./with_retry.ts";

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
 * @param options `retry`: a {@linkcode RetryPolicy} for failing calls.
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
  options?: FunctionOptions,
): TransformStream<I, O> {
  assertFunction("flatMap", "fn", fn);
  fn = withRetry("flatMap", fn, options);
  return processorStream<I, O>({
    kind: "op",
    name: fn.name || "flatMap",
    create(context) {
      let index = 0;
      const divert = context?.divert;
      function append(out: O[], values: Iterable<O>): void {
        if (!appendIterable(out, values)) {
          throw new RecordError(
            index,
            new TypeError(
              `Cannot flatten the result: expected an iterable, got ${
                values === null ? "null" : typeof values
              }`,
            ),
          );
        }
        index++;
      }
      /** From record `i` on, awaiting thenables and diverting failures. */
      async function rest(
        records: I[],
        i: number,
        out: O[],
        first: Iterable<O> | PromiseLike<Iterable<O>>,
      ): Promise<O[]> {
        let pending: Iterable<O> | PromiseLike<Iterable<O>> | undefined = first;
        for (; i < records.length; i++) {
          let values: Iterable<O>;
          try {
            const result = pending ?? fn(records[i]!, index);
            values = isThenable(result) ? await result : result;
          } catch (thrown) {
            const { error, attempts } = unwrapExhausted(thrown);
            if (divert === undefined) {
              throw new RecordError(index, error, attempts);
            }
            await divert(records[i], error, attempts);
            index++;
            continue;
          } finally {
            pending = undefined;
          }
          append(out, values);
        }
        return out;
      }
      return {
        apply(records) {
          const out: O[] = [];
          for (let i = 0; i < records.length; i++) {
            let result: Iterable<O> | PromiseLike<Iterable<O>>;
            try {
              result = fn(records[i]!, index);
            } catch (error) {
              return rest(records, i, out, Promise.reject(error));
            }
            if (isThenable(result)) return rest(records, i, out, result);
            append(out, result);
          }
          return out;
        },
      };
    },
  });
}
