// Copyright 2026 the @ca/streams authors. MIT license.

import {
  BATCH_SINK,
  type BatchSink,
  batchSink,
  type BatchUnderlyingSink,
} from "../../src/sinks/batch_sink.ts";
import { isThenable } from "../../src/util/is_thenable.ts";

/**
 * The same batch sink, timing each batch write: `onWrite(seconds)` once per
 * `write` that succeeds, from the call until the promise it returns
 * resolves (the sink's backpressure; a deferred acknowledgement that comes
 * later is not waited for). Each attempt of a retried write counts as one
 * write. Everything else is the sink's own: `close`, `abort`, `health`, its
 * retry policy and any other marks it carries, so `pipeline()` treats it
 * as it treats the sink.
 *
 * @param sink A sink made with `batchSink()`.
 * @param onWrite Called with the duration of each batch write, in seconds.
 * @returns A batch sink over the same callbacks.
 *
 * @example Time the batches a pipeline writes
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import { timedSink } from "./timed_sink.ts";
 *
 * const stored: number[] = [];
 * const durations: number[] = [];
 * const sink = timedSink(
 *   batchSink<number>({ write: (records) => void stored.push(...records) }),
 *   (seconds) => durations.push(seconds),
 * );
 * await pipeline([1, 2, 3], sink);
 * if (stored.join() !== "1,2,3" || durations.length !== 1) throw new Error("unexpected");
 * ```
 */
export function timedSink<T>(
  sink: BatchSink<T>,
  onWrite: (seconds: number) => void,
): BatchSink<T> {
  const underlying = sink[BATCH_SINK];
  const timed: BatchUnderlyingSink<T> = {
    write(records, context) {
      const started = performance.now();
      const done = () => onWrite((performance.now() - started) / 1000);
      const result = underlying.write(records, context);
      if (!isThenable(result)) return done();
      return Promise.resolve(result).then(done);
    },
  };
  if (underlying.close) timed.close = () => underlying.close!();
  if (underlying.abort) timed.abort = (reason) => underlying.abort!(reason);
  if (underlying.health) timed.health = () => underlying.health!();
  const stream = batchSink(timed);
  // Its retry policy and any other mark, but the underlying sink.
  for (const key of Object.getOwnPropertySymbols(sink)) {
    if (key === BATCH_SINK || Object.hasOwn(stream, key)) continue;
    Object.defineProperty(
      stream,
      key,
      Object.getOwnPropertyDescriptor(sink, key)!,
    );
  }
  return stream;
}
