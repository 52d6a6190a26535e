// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { ONE_TO_ONE } from "../pipeline/one_to_one_mark.ts";

/**
 * Declares that your `TransformStream` emits exactly one output per input,
 * in input order, and returns it. Inside a checkpointed `pipeline()` this
 * lets the checkpoint advance as its outputs come out; an undeclared
 * `TransformStream` is a black box, and the checkpoint does not pass the
 * records that entered it until it has drained.
 *
 * Declare only what is true: a stream that drops, splits or reorders records
 * while declared one-to-one makes the checkpoint claim records that are not
 * stored yet.
 *
 * @typeParam I The input record type.
 * @typeParam O The output record type.
 * @param stream A `TransformStream` that maps each input to one output.
 * @returns The same stream, marked.
 *
 * @example Declare a user transform one-to-one
 * ```ts
 * import { collect, oneToOne, pipeline } from "@ca/streams";
 *
 * const upper = oneToOne(
 *   new TransformStream<string, string>({
 *     transform(text, controller) {
 *       controller.enqueue(text.toUpperCase());
 *     },
 *   }),
 * );
 * const sink = collect<string>();
 * await pipeline(["a", "b"], upper, sink);
 * if (sink.records.join() !== "A,B") throw new Error("unexpected");
 * ```
 */
export function oneToOne<I, O>(
  stream: TransformStream<I, O>,
): TransformStream<I, O> {
  if (
    stream === null || typeof stream !== "object" ||
    !(stream.readable instanceof ReadableStream) ||
    !(stream.writable instanceof WritableStream)
  ) {
    throw new TypeError(
      `Cannot declare oneToOne(): stream must be a TransformStream, got ${
        stream === null ? "null" : typeof stream
      }`,
    );
  }
  Object.defineProperty(stream, ONE_TO_ONE, { value: true });
  return stream;
}
