// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Tracks which source records are done, as ranges of sequence numbers, and
 * the watermark: the end of the contiguous run of done records from 0. The
 * watermark never passes a record that is still in flight, however ranges
 * complete; ranges usually complete in order, which costs O(1) per range.
 */
export class DoneRanges {
  #watermark = 0;
  /** Done ranges above the watermark, sorted by `from`, as [from, to] pairs. */
  #ahead: Array<[number, number]> = [];

  /** End of the contiguous run of done records: every record below is done. */
  get watermark(): number {
    return this.#watermark;
  }

  /** Marks records `[from, to)` done and returns the new watermark. */
  add(from: number, to: number): number {
    if (to <= from || to <= this.#watermark) return this.#watermark;
    if (from <= this.#watermark) {
      this.#watermark = to;
    } else {
      let at = this.#ahead.length;
      while (at > 0 && this.#ahead[at - 1]![0] > from) at--;
      this.#ahead.splice(at, 0, [from, to]);
    }
    while (
      this.#ahead.length > 0 && this.#ahead[0]![0] <= this.#watermark
    ) {
      const [, end] = this.#ahead.shift()!;
      if (end > this.#watermark) this.#watermark = end;
    }
    return this.#watermark;
  }

  /** Whether every record of `[from, to)` is done. */
  covers(from: number, to: number): boolean {
    let at = from > this.#watermark ? from : this.#watermark;
    if (at >= to) return true;
    for (const [start, end] of this.#ahead) {
      if (start > at) return false;
      if (end > at) at = end;
      if (at >= to) return true;
    }
    return false;
  }
}
