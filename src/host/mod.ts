// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The connector host's web-standard core. A {@linkcode ConnectorHost} keeps
 * many connectors (pipeline configs, run by a {@linkcode ConnectorRunner})
 * and serves their management API as a `fetch` handler: create,
 * reconfigure, start, stop, reset and delete them, see their state,
 * history, health and metrics. Every change of a connector is a
 * {@linkcode DefinitionEvent} appended to the connector's stream in a
 * {@linkcode DefinitionStore} with an expected version, so two concurrent
 * changes cannot both win, and a restarted host rebuilds every connector
 * from its events. The memory store is here; the file store is in
 * `@ca/streams/file-store` and the PostgreSQL store in
 * `@ca/streams/postgres`.
 *
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorRunner } from "@ca/streams/host";
 *
 * // `ca serve` passes a runner that runs pipeline configs; this one runs nothing.
 * const runner: ConnectorRunner = {
 *   check: () => Promise.resolve([]),
 *   start: () => { throw new Error("not in this example"); },
 *   reset: () => Promise.resolve(),
 * };
 * const host = new ConnectorHost({ definitions: memoryDefinitionStore(), runner });
 * await host.start(); // rebuilds the connectors, starts the enabled ones
 * const created = await host.fetch(new Request("http://host/connectors", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ id: "orders", config: { processors: [{ use: "generate" }] } }),
 * }));
 * if (created.status !== 201) throw new Error(`unexpected ${created.status}`);
 * await host.stop(); // stops every connector gracefully
 * ```
 *
 * The definition stores on their own:
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
export * from "./connector_host.ts";
export * from "./connector_host_options.ts";
export * from "./connector_runner.ts";
export * from "./connector_state.ts";
export * from "./connector_states.ts";
export * from "./connector_status.ts";
export * from "./connector_details.ts";
export * from "./host_error_code.ts";
export * from "./status_page.ts";
export * from "./tap_error.ts";
export * from "./tap_message.ts";
export * from "./tap_options.ts";
export * from "./tap_upgrade.ts";
export * from "./connector_start_context.ts";
export * from "../cluster/cluster_options.ts";
export * from "../cluster/lease_engine.ts";
export * from "../cluster/memory_lease_engine.ts";
