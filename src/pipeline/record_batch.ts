// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The unit that travels between stages inside `pipeline()`: an array of
 * records plus the range of source records it covers.
 *
 * Source records are numbered 0, 1, 2, ... as the source emits them. A batch
 * covers `[from, to)`: once it has been written by the sink, every source
 * record in that range is done (stored, or dropped by a processor). A stage
 * that holds records back (a `batch()` waiting to fill, a user's
 * `TransformStream`) emits batches whose range stops before the records it
 * still holds, so ranges arriving at the sink tile the source in order and
 * a checkpoint can advance per batch, never per record.
 */
export interface RecordBatch<T> {
  /** The records, in order. May be empty when only the range advances. */
  records: T[];
  /** First source sequence number covered (inclusive). */
  from: number;
  /** End of the covered source range (exclusive); `from <= to`. */
  to: number;
}
