// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The host restarts a failed connector from its checkpoint after a
 * backoff: which attempt this is and how long it waits first.
 *
 * @example Record the second restart, in two seconds
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorRecoveringEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 * ], 0);
 * const recovering: ConnectorRecoveringEvent = {
 *   type: "recovering",
 *   connector: "orders",
 *   at,
 *   data: { attempt: 2, delayMs: 2000 },
 * };
 * if (await store.append("orders", [recovering], 1) !== 2) throw new Error("unexpected");
 * ```
 */
export interface ConnectorRecoveringEvent {
  /** Always `"recovering"`. */
  type: "recovering";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** The restart. */
  data: {
    /** The attempt since the connector last ran well: 1, 2, ... */
    attempt: number;
    /** The backoff before the restart, in ms. */
    delayMs: number;
  };
}
