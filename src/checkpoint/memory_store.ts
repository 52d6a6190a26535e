// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type {
  Checkpoint,
  CheckpointStore,
  StoreCallOptions,
} from "./checkpoint_store.ts";
import { FencedError } from "./fenced_error.ts";
import type { Position } from "./position.ts";

/**
 * Creates a checkpoint store that keeps positions in memory: for tests, and
 * for pipelines that may replay from the start after a restart. Positions
 * are copied in and out (as JSON), so later changes by the caller do not
 * leak in.
 *
 * @returns A {@linkcode CheckpointStore} that forgets everything when the
 * process ends.
 *
 * @example Commit and read back
 * ```ts
 * import { memoryStore } from "@ca/streams";
 *
 * const store = memoryStore();
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", { offset: 42 }, generation);
 * const { position } = await store.get("orders");
 * if (JSON.stringify(position) !== '{"offset":42}') throw new Error("unexpected");
 * ```
 */
export function memoryStore(): CheckpointStore {
  const entries = new Map<
    string,
    { json: string | undefined; generation: number }
  >();
  const read = (id: string): Checkpoint => {
    const entry = entries.get(id);
    return {
      position: entry?.json === undefined ? undefined : JSON.parse(entry.json),
      generation: entry?.generation ?? 0,
    };
  };
  /** Runs `body` as an async call: checks the signal, turns throws into rejections. */
  function call<T>(
    options: StoreCallOptions | undefined,
    body: () => T,
  ): Promise<T> {
    try {
      options?.signal?.throwIfAborted();
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return {
    get(id, options) {
      return call(options, () => read(id));
    },
    acquire(id, options) {
      return call(options, () => {
        const entry = entries.get(id) ?? { json: undefined, generation: 0 };
        entry.generation++;
        entries.set(id, entry);
        return read(id);
      });
    },
    commit(id: string, position: Position, generation: number, options) {
      return call(options, () => {
        let json: string | undefined;
        try {
          json = JSON.stringify(position);
        } catch (error) {
          throw new TypeError(
            `Cannot commit checkpoint of "${id}": position must be a JSON value (${
              (error as Error).message
            })`,
          );
        }
        if (json === undefined) {
          throw new TypeError(
            `Cannot commit checkpoint of "${id}": position must be a JSON value, got ${typeof position}`,
          );
        }
        const entry = entries.get(id);
        if (entry === undefined || entry.generation !== generation) {
          throw new FencedError(id, generation, entry?.generation ?? 0);
        }
        entry.json = json;
      });
    },
    delete(id, options) {
      return call(options, () => {
        const entry = entries.get(id);
        if (entry) {
          entry.json = undefined;
          entry.generation++;
        }
      });
    },
  };
}
