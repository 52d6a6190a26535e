// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";

/**
 * Counts of one origin of a {@linkcode merge}, in
 * `PipelineSummary.origins` and `RunningPipeline.origins`.
 *
 * @example Records read per origin
 * ```ts
 * import { collect, merge, pipeline } from "@ca/streams";
 * import type { OriginCounts } from "@ca/streams";
 *
 * const summary = await pipeline(merge({ a: [1, 2], b: [3] }), collect<number>());
 * const a: OriginCounts = summary.origins!.a!;
 * if (a.recordsRead !== 2 || summary.origins!.b!.recordsRead !== 1) {
 *   throw new Error("unexpected counts");
 * }
 * ```
 */
export interface OriginCounts {
  /** Records the origin emitted into the pipeline. */
  recordsRead: number;
  /**
   * The origin's done position, when positions are tracked (a checkpoint,
   * or an origin that acknowledges).
   */
  position?: Position;
}
