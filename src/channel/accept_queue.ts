// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A queue of accepted connections, iterated by one consumer at a time.
 * Internal: the listeners of every transport hand their connections out
 * through it.
 */
export class AcceptQueue<T> {
  #queued: T[] = [];
  #waiting: Array<(item: T | null) => void> = [];
  #closed = false;
  #discard: (item: T) => void;

  constructor(discard: (item: T) => void) {
    this.#discard = discard;
  }

  /** Hands an accepted item to a waiting consumer, or queues it. */
  push(item: T): void {
    if (this.#closed) return this.#discard(item);
    const take = this.#waiting.shift();
    if (take) take(item);
    else this.#queued.push(item);
  }

  /** Yields items until closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    while (!this.#closed) {
      const item = this.#queued.shift() ??
        await new Promise<T | null>((resolve) => this.#waiting.push(resolve));
      if (item === null) return;
      yield item;
    }
  }

  /** Ends iteration; queued items are discarded. */
  close(): void {
    this.#closed = true;
    for (const take of this.#waiting.splice(0)) take(null);
    for (const item of this.#queued.splice(0)) this.#discard(item);
  }
}
