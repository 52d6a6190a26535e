// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Counts of one sink of a {@linkcode fanOut} or {@linkcode route}, in
 * `PipelineSummary.sinks` and `RunningPipeline.sinks`, keyed by the sink's
 * branch path (`"paid/nats"` for a sink inside a route inside a fan-out).
 *
 * @example Records stored per sink
 * ```ts
 * import { collect, fanOut, pipeline } from "@ca/streams";
 * import type { SinkCounts } from "@ca/streams";
 *
 * const summary = await pipeline([1, 2, 3], fanOut({ a: collect(), b: collect() }));
 * const a: SinkCounts = summary.sinks!.a!;
 * if (a.recordsWritten !== 3 || a.recordsDropped !== 0) throw new Error("unexpected");
 * ```
 */
export interface SinkCounts {
  /** Records the sink stored. */
  recordsWritten: number;
  /** Records of this sink that went to a dead letter. */
  recordsDeadLettered: number;
  /** Records a best-effort sink dropped: its queue was full, or it had failed. */
  recordsDropped: number;
  /** Failed writes of a best-effort sink (they fail the pipeline otherwise). */
  failures: number;
}
