// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The connector host's building blocks. For now: its event-sourced
 * definitions. Every change of a connector is a {@linkcode DefinitionEvent}
 * appended to the connector's stream in a {@linkcode DefinitionStore} with
 * an expected version, so two concurrent changes cannot both win, and a
 * restarted host rebuilds every connector from its events. The memory
 * store is here; the file store is in `@ca/streams/file-store` and the
 * PostgreSQL store in `@ca/streams/postgres`.
 *
 * ```ts
 * import { memoryDefinitionStore, WrongExpectedVersionError } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * const config = { id: "orders", processors: [{ use: "generate" }] };
 * await store.append("orders", [{ type: "created", connector: "orders", at, data: { config } }], 0);
 * // Two clients start the connector from version 1: one wins.
 * const started = { type: "started", connector: "orders", at, data: {} } as const;
 * const results = await Promise.allSettled([1, 1].map((v) => store.append("orders", [started], v)));
 * const lost = results.filter((r) => r.status === "rejected" && r.reason instanceof WrongExpectedVersionError);
 * if (lost.length !== 1 || (await store.list())[0]?.version !== 2) throw new Error("unexpected");
 * ```
 *
 * @module
 */

export * from "../definition_store/connector_created_event.ts";
export * from "../definition_store/connector_reconfigured_event.ts";
export * from "../definition_store/connector_started_event.ts";
export * from "../definition_store/connector_stopped_event.ts";
export * from "../definition_store/connector_failed_event.ts";
export * from "../definition_store/connector_recovering_event.ts";
export * from "../definition_store/connector_reset_event.ts";
export * from "../definition_store/connector_deleted_event.ts";
export * from "../definition_store/definition_event.ts";
export * from "../definition_store/definition_event_type.ts";
export * from "../definition_store/definition_event_types.ts";
export * from "../definition_store/stored_definition_event.ts";
export * from "../definition_store/definition_stream_info.ts";
export * from "../definition_store/definition_store.ts";
export * from "../definition_store/wrong_expected_version_error.ts";
export * from "../definition_store/memory_definition_store.ts";
