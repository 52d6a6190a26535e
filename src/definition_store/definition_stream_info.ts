// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One connector's stream as `DefinitionStore.list()` reports it.
 *
 * @example The connectors a restarted host rebuilds
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { DefinitionStreamInfo } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * for (const id of ["a", "b"]) {
 *   await store.append(id, [{ type: "created", connector: id, at, data: { config: { id } } }], 0);
 * }
 * await store.append("b", [{ type: "deleted", connector: "b", at, data: {} }], 1);
 * const streams: DefinitionStreamInfo[] = await store.list();
 * const live = streams.filter((stream) => !stream.deleted).map((stream) => stream.connector);
 * if (live.join() !== "a") throw new Error(`unexpected ${live}`);
 * ```
 */
export interface DefinitionStreamInfo {
  /** The connector's id. */
  connector: string;
  /** How many events its stream holds: the expected version of its next append. */
  version: number;
  /** Whether its last event is `deleted`: the connector is gone, its id free again. */
  deleted: boolean;
}
