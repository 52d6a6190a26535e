// Copyright 2026 the @ca/streams authors. MIT license.

/** Upper bounds of the buckets, in seconds: 1 ms to 10 s. */
const BOUNDS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/**
 * Durations in buckets, as a Prometheus histogram keeps them: one
 * `observe()` per batch written, never per record.
 *
 * @example Two fast writes and a slow one
 * ```ts
 * import { LatencyHistogram } from "./latency_histogram.ts";
 *
 * const histogram = new LatencyHistogram();
 * histogram.observe(0.0004);
 * histogram.observe(0.002);
 * histogram.observe(3);
 * const { buckets, count } = histogram.snapshot();
 * const le = new Map(buckets);
 * if (le.get(0.001) !== 1 || le.get(0.0025) !== 2 || le.get(5) !== 3 || count !== 3) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class LatencyHistogram {
  readonly #bounds: readonly number[];
  /** Per bucket (not cumulative); the last one is above every bound. */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  /**
   * @param bounds The buckets' upper bounds in seconds, ascending; default
   * 0.001 to 10.
   */
  constructor(bounds: readonly number[] = BOUNDS) {
    this.#bounds = bounds;
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  /**
   * Counts one duration.
   *
   * @param seconds How long it took.
   */
  observe(seconds: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += seconds;
    this.#count++;
  }

  /**
   * The counts now, in the Prometheus shape: per upper bound (seconds) the
   * number of durations at or below it (cumulative); `+Inf` is `count`, and
   * left out so that the snapshot survives JSON.
   *
   * @returns The buckets, the sum of the durations in seconds and their count.
   */
  snapshot(): {
    buckets: [number, number][];
    sum: number;
    count: number;
  } {
    let below = 0;
    const buckets = this.#bounds.map((le, i): [number, number] => [
      le,
      below += this.#counts[i]!,
    ]);
    return { buckets, sum: this.#sum, count: this.#count };
  }
}
