// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector was deleted. Its stream stays, ending with this event:
 * `list()` marks it `deleted`, and the id may be created again by
 * appending a `created` event at the stream's version.
 *
 * @example Delete a connector, then create it again
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorDeletedEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * const created = { type: "created", connector: "orders", at, data: { config: { id: "orders" } } } as const;
 * const deleted: ConnectorDeletedEvent = { type: "deleted", connector: "orders", at, data: {} };
 * await store.append("orders", [created, deleted], 0);
 * const [stream] = await store.list();
 * if (!stream?.deleted || stream.version !== 2) throw new Error("unexpected");
 * await store.append("orders", [created], stream.version);
 * ```
 */
export interface ConnectorDeletedEvent {
  /** Always `"deleted"`. */
  type: "deleted";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** Nothing more. */
  data: Record<string, never>;
}
