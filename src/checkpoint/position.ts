// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * How far a source has been read: any JSON value the source understands (a
 * byte offset, a stream ID, a cursor, a revision). Stores keep it as JSON.
 *
 * @example Store a file name and a byte offset as one position
 * ```ts
 * import { memoryStore } from "@ca/streams";
 * import type { Position } from "@ca/streams";
 *
 * const position: Position = { file: "orders.ndjson", offset: 1024 };
 * const store = memoryStore();
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", position, generation);
 * const stored = await store.get("orders");
 * if (JSON.stringify(stored.position) !== JSON.stringify(position)) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export type Position =
  | string
  | number
  | boolean
  | null
  | Position[]
  | { [key: string]: Position };
