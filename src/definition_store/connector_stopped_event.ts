// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector was stopped: it is disabled, and a restarted host leaves it
 * stopped, until a `started` event.
 *
 * @example Stop a connector
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorStoppedEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 *   { type: "started", connector: "orders", at, data: {} },
 * ], 0);
 * const stopped: ConnectorStoppedEvent = { type: "stopped", connector: "orders", at, data: {} };
 * if (await store.append("orders", [stopped], 2) !== 3) throw new Error("unexpected");
 * ```
 */
export interface ConnectorStoppedEvent {
  /** Always `"stopped"`. */
  type: "stopped";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** Nothing more. */
  data: Record<string, never>;
}
