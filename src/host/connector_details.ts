// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectionHealth } from "../health/connection_health.ts";
import type { ConnectorStatus } from "./connector_status.ts";

/**
 * One connector as `GET /connectors/{id}` answers (as JSON): its
 * {@linkcode ConnectorStatus} and its config as stored, with what else the
 * host knows of it.
 *
 * @example Read a connector's config from the API
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorDetails, ConnectorRunner } from "@ca/streams/host";
 *
 * const runner: ConnectorRunner = {
 *   check: () => Promise.resolve([]),
 *   start: () => { throw new Error("not in this example"); },
 *   reset: () => Promise.resolve(),
 * };
 * const host = new ConnectorHost({ definitions: memoryDefinitionStore(), runner });
 * await host.start();
 * const config = { processors: [{ use: "generate" }] };
 * await host.fetch(new Request("http://host/connectors", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ id: "orders", config }),
 * }));
 * const response = await host.fetch(new Request("http://host/connectors/orders"));
 * const details: ConnectorDetails = await response.json();
 * if (details.config.id !== "orders" || details.state !== "stopped") throw new Error("unexpected");
 * await host.stop();
 * ```
 */
export interface ConnectorDetails extends ConnectorStatus {
  /** Its config as stored: a JSON object, `${ENV}` references as written. */
  config: Record<string, unknown>;
  /** Its definition stream's version: how many events it holds. */
  version: number;
  /** How often the host restarted it after a transient failure. */
  restarts: number;
  /** Connection health by source and sink name, when its pipeline reports it. */
  health: {
    sources: Record<string, ConnectionHealth>;
    sinks: Record<string, ConnectionHealth>;
  } | null;
}
