// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Where a `postgresChangeSource` slot is, for {@linkcode
 * dropPostgresChangeSlot} and {@linkcode postgresChangeSlotStatus}: the
 * same `url`, `clientOptions` and `slot` as the source's options.
 *
 * @example The slot of a source
 * ```ts
 * import type { PostgresChangeSlotOptions } from "@ca/streams/postgres";
 *
 * const slot: PostgresChangeSlotOptions = {
 *   url: "postgres://replicator@127.0.0.1:5432/shop",
 *   slot: "orders_archive",
 * };
 * if (slot.slot !== "orders_archive") throw new Error("unexpected");
 * ```
 */
export interface PostgresChangeSlotOptions {
  /** The server, `postgres://user:password@host:port/database`. */
  url: string;
  /** More options for the `postgres` package's client (`ssl`, ...). */
  clientOptions?: Record<string, unknown>;
  /** The slot's name, as given to the source. */
  slot: string;
}
