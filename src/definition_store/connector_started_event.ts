// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector was started: it is enabled, and a restarted host starts it
 * again from its checkpoint, until a `stopped` event.
 *
 * @example Start a connector
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorStartedEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * const started: ConnectorStartedEvent = { type: "started", connector: "orders", at, data: {} };
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 *   started,
 * ], 0);
 * const types = (await store.read("orders")).map((event) => event.type);
 * if (types.join() !== "created,started") throw new Error(`unexpected ${types}`);
 * ```
 */
export interface ConnectorStartedEvent {
  /** Always `"started"`. */
  type: "started";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** Nothing more. */
  data: Record<string, never>;
}
