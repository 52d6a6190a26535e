// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { PipelineSource } from "../pipeline/source_stream.ts";

/** Any source as a `ReadableStream` of its records, pulled one at a time. */
export function readableOf<T>(source: PipelineSource<T>): ReadableStream<T> {
  if (source instanceof ReadableStream) return source;
  let iterator: Iterator<T> | AsyncIterator<T> | undefined;
  return new ReadableStream<T>({
    async pull(controller) {
      iterator ??= Symbol.asyncIterator in source
        ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
        : (source as Iterable<T>)[Symbol.iterator]();
      const step = await iterator.next();
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    async cancel(reason) {
      await iterator?.return?.(reason);
    },
  }, { highWaterMark: 0 });
}
