// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Runs tasks one at a time per key, in the order they were queued: the
 * host serializes every command of one connector through it.
 */
export class KeyedQueue {
  #tails = new Map<string, Promise<void>>();

  /**
   * Queues a task behind the key's earlier ones.
   *
   * @param key The key (a connector id).
   * @param task The task; it starts once the earlier ones settled.
   * @returns The task's result.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
