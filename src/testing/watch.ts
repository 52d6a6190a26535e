// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Something changed: everyone waiting on `next` wakes up. */
export class Watch {
  #wake!: () => void;
  #next: Promise<void> = this.#renew();

  #renew(): Promise<void> {
    return new Promise<void>((resolve) => this.#wake = resolve);
  }

  /** Resolves at the next `notify()`. */
  get next(): Promise<void> {
    return this.#next;
  }

  /** Wakes everyone waiting. */
  notify(): void {
    this.#wake();
    this.#next = this.#renew();
  }
}
