// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { batchSink } from "../sinks/batch_sink.ts";
import type { BatchSink } from "../sinks/batch_sink.ts";
import type { RecordShape } from "./record_shape.ts";
import type { ChangeNotifier } from "../channel/change_notifier.ts";

/** The sink the source cases run into, and what it saw. */
export interface Recording<T> {
  readonly sink: BatchSink<T>;
  /** Stored records, in order. */
  readonly records: T[];
  /** Keys of the stored records. */
  readonly keys: Set<string>;
  /** A write is held back (see `stallAt`) and never stores its batch. */
  readonly stalled: boolean;
}

/**
 * A sink that stores records in memory and notifies `watch` on each write.
 * With `stallAt`, the first write that comes once that many records are
 * stored never stores its batch: it waits until the pipeline aborts it, so
 * its records are read but not stored.
 */
export function recordingSink<T>(
  shape: RecordShape<T>,
  watch: ChangeNotifier,
  stallAt = Infinity,
): Recording<T> {
  const records: T[] = [];
  const keys = new Set<string>();
  let stalled = false;
  const sink = batchSink<T>({
    write(batch, { signal }) {
      if (records.length >= stallAt) {
        stalled = true;
        watch.notify();
        return new Promise<void>((_resolve, reject) => {
          const fail = () => reject(signal.reason);
          if (signal.aborted) fail();
          else signal.addEventListener("abort", fail, { once: true });
        });
      }
      for (const record of batch) {
        records.push(record);
        keys.add(shape.key(record));
      }
      watch.notify();
    },
  });
  return {
    sink,
    records,
    keys,
    get stalled() {
      return stalled;
    },
  };
}
