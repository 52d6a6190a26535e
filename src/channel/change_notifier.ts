// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Where everyone waiting for a change (credit, an ack, a connection, a
 * queued batch) waits: `changed` settles at the next {@linkcode notify},
 * and then a new one is armed. Waiters re-check their condition in a loop.
 */
export class ChangeNotifier {
  #wake!: () => void;
  #changed: Promise<void>;

  /** Arms the first change. */
  constructor() {
    this.#changed = new Promise<void>((resolve) => this.#wake = resolve);
  }

  /** Settles at the next change. */
  get changed(): Promise<void> {
    return this.#changed;
  }

  /** Wakes every waiter and arms the next change. */
  notify(): void {
    this.#wake();
    this.#changed = new Promise<void>((resolve) => this.#wake = resolve);
  }
}
