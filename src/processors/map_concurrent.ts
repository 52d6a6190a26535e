// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { stageStream } from "../pipeline/stage_stream.ts";
import { RecordError } from "../errors/record_error.ts";
import type { BatchController } from "../pipeline/processor_spec.ts";
import { stageProcessorStream } from "../pipeline/stage_processor_stream.ts";
import { isThenable } from "../util/is_thenable.ts";
import { unwrapExhausted } from "../failures/retrying.ts";
import { assertFunction } from "./assert_function.ts";
import type { FunctionOptions } from "./function_options.ts";
import { withRetry } from "./with_retry.ts";

/** Marks the output slot of a record sent to the dead-letter sink. */
const DIVERTED: unique symbol = Symbol("diverted");

/**
 * Options for {@linkcode mapConcurrent}.
 *
 * @example Four lookups at a time, retrying a flaky one
 * ```ts
 * import { mapConcurrent } from "@ca/streams";
 * import type { MapConcurrentOptions } from "@ca/streams";
 *
 * const options: MapConcurrentOptions = {
 *   concurrency: 4,
 *   retry: { maxAttempts: 2, initialDelayMs: 1 },
 * };
 * let failed = false;
 * const lookup = async (id: number) => {
 *   if (id === 2 && !failed) {
 *     failed = true;
 *     throw new Error("flaky");
 *   }
 *   return `user-${id}`;
 * };
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3]).pipeThrough(mapConcurrent(lookup, options)),
 * );
 * if (out.join() !== "user-1,user-2,user-3") throw new Error(`unexpected ${out}`);
 * ```
 */
export interface MapConcurrentOptions extends FunctionOptions {
  /** How many calls of `fn` may be pending at once; a positive integer. */
  concurrency: number;
}

/** Results of one input batch, emitted once all of them are in. */
interface Slot<O> {
  out: Array<O | typeof DIVERTED>;
  pending: number;
  diverted: number;
  from: number;
  to: number;
}

/**
 * Returns a processor like `map()` that lets up to `concurrency` async
 * calls of `fn` run at once, and still emits results in input order.
 *
 * Use it for I/O per record (an HTTP lookup, a database query). When the
 * window is full, input waits, so a slow `fn` slows the source. If a call
 * throws or rejects, the stream errors with a `RecordError` carrying the
 * record's index; calls still pending are left to finish and their results
 * are dropped.
 *
 * @typeParam I The input record type.
 * @typeParam O The output record type.
 * @param fn The function applied to each record.
 * @param options `concurrency`: how many calls may be pending at once;
 * `retry`: a retry policy for failing calls.
 * @returns A `TransformStream` from `I` to `O`.
 *
 * @example Look up three records, two at a time, in order
 * ```ts
 * import { mapConcurrent } from "@ca/streams";
 *
 * const lookup = async (id: number) => {
 *   await new Promise((resolve) => setTimeout(resolve, 10 - id * 3));
 *   return `user-${id}`;
 * };
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3])
 *     .pipeThrough(mapConcurrent(lookup, { concurrency: 2 })),
 * );
 * if (out.join() !== "user-1,user-2,user-3") throw new Error(`unexpected ${out}`);
 * ```
 */
export function mapConcurrent<I, O>(
  fn: (record: I, index: number) => O | PromiseLike<O>,
  options: MapConcurrentOptions,
): TransformStream<I, O> {
  assertFunction("mapConcurrent", "fn", fn);
  const concurrency = options?.concurrency;
  if (!Number.isInteger(concurrency) || concurrency <= 0) {
    throw new RangeError(
      `Cannot create mapConcurrent(): options.concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  fn = withRetry("mapConcurrent", fn, options);
  return stageProcessorStream<I, O>({
    kind: "stage",
    run: stageStream,
    name: fn.name || "mapConcurrent",
    create(context) {
      const divert = context?.divert;
      let index = 0;
      let active = 0;
      let failure: RecordError | undefined;
      let wake: (() => void) | undefined;
      let output!: BatchController<O>;
      const slots: Slot<O>[] = [];

      function emitReady(): void {
        while (slots.length > 0 && slots[0]!.pending === 0) {
          const { out, from, to, diverted } = slots.shift()!;
          const records = diverted === 0
            ? out as O[]
            : out.filter((value): value is O => value !== DIVERTED);
          output.enqueue({ records, from, to });
        }
      }
      function settled(): void {
        active--;
        const resume = wake;
        wake = undefined;
        resume?.();
      }
      function waitForSettle(): Promise<void> {
        return new Promise((resolve) => wake = resolve);
      }
      function start(slot: Slot<O>, at: number, record: I): void {
        const recordIndex = index++;
        let result: O | PromiseLike<O>;
        try {
          result = fn(record, recordIndex);
        } catch (error) {
          result = Promise.reject(error);
        }
        if (!isThenable(result)) {
          slot.out[at] = result;
          slot.pending--;
          return;
        }
        active++;
        const done = (value: O | typeof DIVERTED) => {
          slot.out[at] = value;
          slot.pending--;
          if (value === DIVERTED) slot.diverted++;
          if (failure === undefined) {
            try {
              emitReady();
            } catch {
              // Downstream was cancelled; the stage is being torn down.
            }
          }
          settled();
        };
        const fail = (error: unknown, attempts: number) => {
          if (failure === undefined) {
            failure = new RecordError(recordIndex, error, attempts);
            output.error(failure);
          }
          settled();
        };
        Promise.resolve(result).then(done, (thrown) => {
          const { error, attempts } = unwrapExhausted(thrown);
          if (divert === undefined) return fail(error, attempts);
          divert(record, error, attempts).then(
            () => done(DIVERTED),
            (divertError) => fail(divertError, attempts),
          );
        });
      }
      async function startWhenFree(
        slot: Slot<O>,
        records: I[],
        from: number,
      ): Promise<void> {
        for (let i = from; i < records.length; i++) {
          while (active >= concurrency) {
            await waitForSettle();
            if (failure) throw failure;
          }
          start(slot, i, records[i]!);
        }
        emitReady();
      }

      return {
        transform(input, controller) {
          output = controller;
          if (failure) throw failure;
          const records = input.records;
          const slot: Slot<O> = {
            out: new Array(records.length),
            pending: records.length,
            diverted: 0,
            from: input.from,
            to: input.to,
          };
          slots.push(slot);
          for (let i = 0; i < records.length; i++) {
            if (active >= concurrency) return startWhenFree(slot, records, i);
            start(slot, i, records[i]!);
          }
          emitReady();
        },
        async flush(controller) {
          output = controller;
          while (active > 0) {
            await waitForSettle();
          }
          if (failure) throw failure;
          emitReady();
        },
      };
    },
  });
}
