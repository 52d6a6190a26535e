// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { StoreCallOptions } from "../checkpoint/checkpoint_store.ts";
import type { DefinitionEvent } from "./definition_event.ts";
import type { DefinitionStreamInfo } from "./definition_stream_info.ts";
import type { StoredDefinitionEvent } from "./stored_definition_event.ts";

/**
 * Where a connector host keeps its connectors' definitions, event-sourced:
 * one stream of {@linkcode DefinitionEvent}s per connector id. The memory
 * store is in the core; the file and PostgreSQL stores under `connectors/`.
 * Every store passes `definitionStoreConformance()` of
 * `@ca/streams/testing`.
 *
 * Versions: a stream's version is the number of events it holds (0 for a
 * stream with none); its first event has version 1. Every append names the
 * version it expects the stream at, 0 for "no stream yet", and succeeds
 * only when the stream is exactly there; otherwise it throws
 * {@linkcode WrongExpectedVersionError} and stores nothing. So of two
 * changes decided on the same state only the first is stored: of any
 * number of concurrent appends with the same expected version, exactly one
 * wins, across processes too for the durable stores. An append of several
 * events is atomic: all are stored, with consecutive versions, or none.
 *
 * Streams are never removed: deleting a connector appends `deleted`, and
 * versions keep counting, so an expected version read before the delete
 * cannot succeed after the id is created again (at the stream's version).
 * `list()` reports every stream, deleted ones marked, so a restarted host
 * rebuilds each connector that is not deleted by reading its stream.
 *
 * Events are stored as JSON: what comes back is `JSON.parse` of what
 * `JSON.stringify` made of the appended events (object key order aside,
 * which the PostgreSQL store does not keep), never the caller's objects.
 * Stores check events before storing them (a known `type`, the stream's
 * `connector`, `at` as `toISOString()` writes it, the `data` the type
 * needs, no NUL character) and throw a `TypeError` or `RangeError` naming
 * the problem; they do not check the order of a connector's life (that is
 * the host's business).
 *
 * @example Rebuild every live connector, as a restarted host does
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { DefinitionStore } from "@ca/streams/host";
 *
 * async function liveConfigs(store: DefinitionStore): Promise<Map<string, unknown>> {
 *   const configs = new Map<string, unknown>();
 *   for (const stream of await store.list()) {
 *     if (stream.deleted) continue;
 *     for (const event of await store.read(stream.connector)) {
 *       if (event.type === "created" || event.type === "reconfigured") {
 *         configs.set(stream.connector, event.data.config);
 *       }
 *     }
 *   }
 *   return configs;
 * }
 * const store: DefinitionStore = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders", v: 1 } } },
 * ], 0);
 * await store.append("orders", [
 *   { type: "reconfigured", connector: "orders", at, data: { config: { id: "orders", v: 2 } } },
 * ], 1);
 * const configs = await liveConfigs(store);
 * if (JSON.stringify(configs.get("orders")) !== '{"id":"orders","v":2}') throw new Error("unexpected");
 * await store.close();
 * ```
 */
export interface DefinitionStore {
  /**
   * Appends events to a connector's stream if it is at `expectedVersion`.
   * Durable when the promise resolves.
   *
   * @param connector The connector's id; every event's `connector` must equal it.
   * @param events One or more events, stored in this order.
   * @param expectedVersion The version the stream must be at: 0 when it
   * must not exist yet.
   * @param options A `signal` to give up waiting on the backing system.
   * @returns The stream's new version: `expectedVersion + events.length`.
   * @throws {WrongExpectedVersionError} When the stream is at another
   * version; nothing is stored.
   */
  append(
    connector: string,
    events: readonly DefinitionEvent[],
    expectedVersion: number,
    options?: StoreCallOptions,
  ): Promise<number>;
  /**
   * Reads a connector's stream.
   *
   * @param connector The connector's id.
   * @param options A `signal` to give up waiting on the backing system.
   * @returns Its events in order, each with its version; empty for a
   * stream that does not exist.
   */
  read(
    connector: string,
    options?: StoreCallOptions,
  ): Promise<StoredDefinitionEvent[]>;
  /**
   * Lists every stream, deleted ones included (marked `deleted`), sorted by
   * connector id (by UTF-16 code units, as `Array.prototype.sort` does).
   *
   * @param options A `signal` to give up waiting on the backing system.
   * @returns Each stream's connector id, version and whether it is deleted.
   */
  list(options?: StoreCallOptions): Promise<DefinitionStreamInfo[]>;
  /**
   * Waits for the calls under way and releases what the store opened
   * itself (a client it made from a URL); calls afterwards reject.
   */
  close(): Promise<void>;
}
