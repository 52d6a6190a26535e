// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Thrown by a checkpoint store when an instance commits for a pipeline id
 * that a newer instance has since acquired. The stale instance must stop:
 * the store kept the newer instance's position untouched.
 *
 * @example Recognise fencing
 * ```ts
 * import { FencedError, memoryStore } from "@ca/streams";
 *
 * const store = memoryStore();
 * const first = await store.acquire("orders");
 * await store.acquire("orders"); // a second instance takes over
 * try {
 *   await store.commit("orders", 10, first.generation);
 *   throw new Error("expected fencing");
 * } catch (error) {
 *   if (!(error instanceof FencedError)) throw error;
 * }
 * ```
 */
export class FencedError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_FENCED" = "CA_ERR_FENCED";
  /** The pipeline id. */
  readonly id: string;
  /** The generation the stale instance held. */
  readonly generation: number;
  /** The newer generation the store holds, when known. */
  readonly currentGeneration: number | undefined;

  /**
   * Creates a fencing error.
   *
   * @param id The pipeline id.
   * @param generation The stale generation that tried to commit.
   * @param currentGeneration The generation the store holds, when known.
   */
  constructor(id: string, generation: number, currentGeneration?: number) {
    super(
      `Cannot commit checkpoint of "${id}": generation ${generation} was fenced by ${
        currentGeneration === undefined
          ? "a newer instance"
          : `generation ${currentGeneration}`
      }`,
    );
    this.name = "FencedError";
    this.id = id;
    this.generation = generation;
    this.currentGeneration = currentGeneration;
  }
}
