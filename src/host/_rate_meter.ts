// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** How far back a rate looks, in ms. */
const WINDOW_MS = 10_000;
/** The least time between two kept samples, in ms. */
const SPACING_MS = 1_000;

/**
 * A rate of a growing count over about the last ten seconds, from the
 * samples it is given when a rate is asked for (no timer of its own).
 */
export class RateMeter {
  #samples: { at: number; count: number }[] = [];

  /**
   * Adds a sample and returns the rate since the oldest sample of the window.
   *
   * @param at Now, in ms.
   * @param count The count now.
   * @returns Per second; 0 until two samples are apart.
   */
  rate(at: number, count: number): number {
    const samples = this.#samples;
    const last = samples.at(-1);
    if (last === undefined || at - last.at >= SPACING_MS) {
      samples.push({ at, count });
    }
    // Keep one sample older than the window as the base.
    while (samples.length > 2 && at - samples[1]!.at >= WINDOW_MS) {
      samples.shift();
    }
    const base = samples[0]!;
    const seconds = (at - base.at) / 1000;
    return seconds > 0 ? Math.max(0, (count - base.count) / seconds) : 0;
  }
}
