// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Options of `ConnectorHost.tap()`: how records are sampled, and how many
 * may wait for a slow reader. Sampling is `every` Nth record, or at most
 * `perSecond` records a second (default 100 a second); give one of them.
 * `GET /connectors/{id}/tap?sample=` takes the same: `sample=10` (every
 * 10th record) or `sample=50/s` (at most 50 a second).
 *
 * @example Every 10th record, at most 500 waiting
 * ```ts
 * import type { TapOptions } from "@ca/streams/host";
 *
 * const controller = new AbortController();
 * const options: TapOptions = { every: 10, maxQueued: 500, signal: controller.signal };
 * if (options.perSecond !== undefined) throw new Error("one of every and perSecond");
 * ```
 */
export interface TapOptions {
  /** Sample every Nth record out of the stage (an integer, at least 1; 1 takes all). */
  every?: number;
  /**
   * Sample at most this many records a second (more than 0, at most
   * 100,000), spread over each batch, with bursts up to one second's worth.
   * Default 100, when `every` is not given.
   */
  perSecond?: number;
  /**
   * How many sampled records may wait for the reader (default 1000, at
   * most 100,000). Once full, the newest are dropped and counted in
   * `dropped`: the pipeline never waits for a tap.
   */
  maxQueued?: number;
  /** Aborting it ends the tap, as cancelling the stream does. */
  signal?: AbortSignal;
}
