// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One change that `postgresChangeSource` reads from PostgreSQL: a row
 * inserted, updated or deleted, a table truncated, or, during the initial
 * snapshot, a row read.
 *
 * Values are decoded by the `postgres` package's type parsers, as its
 * queries return them: `integer` and `real` as numbers, `boolean` as a
 * boolean, `json`/`jsonb` parsed, `timestamp`/`timestamptz`/`date` as a
 * `Date`; `bigint` and `numeric` as strings (no precision lost), and types
 * it has no parser for as PostgreSQL's text.
 *
 * @typeParam Row The shape of the table's rows.
 *
 * @example An update of a table with `REPLICA IDENTITY FULL`
 * ```ts
 * import type { PostgresChange } from "@ca/streams/postgres";
 *
 * const change: PostgresChange<{ id: number; total: string }> = {
 *   op: "update",
 *   schema: "public",
 *   table: "orders",
 *   key: { id: 7 },
 *   before: { id: 7, total: "10.00" },
 *   after: { id: 7, total: "12.50" },
 *   lsn: "0/16B3748",
 *   commitTime: "2026-05-01T10:00:00.000Z",
 * };
 * if (change.after!.total !== "12.50") throw new Error("unexpected");
 * ```
 */
export interface PostgresChange<Row = Record<string, unknown>> {
  /**
   * `"insert"`, `"update"`, `"delete"`, `"truncate"` (the whole table
   * emptied: `key` is `{}`), or `"read"` for a row of the initial snapshot.
   */
  op: "insert" | "update" | "delete" | "truncate" | "read";
  /** The table's schema, such as `"public"`. */
  schema: string;
  /** The table's name. */
  table: string;
  /**
   * The row's primary key columns (the replica identity's columns for a
   * table without one): from `after`, or for a delete from the old row.
   */
  key: Record<string, unknown>;
  /**
   * The row before an update or a delete. Whole only with `REPLICA
   * IDENTITY FULL` on the table; with the default identity it is present
   * only for a delete or an update that changed the key, and then holds the
   * old key columns alone.
   */
  before?: Partial<Row>;
  /**
   * The row after an insert or an update, and the row read by the
   * snapshot. A large (TOASTed) value an update did not change is not sent
   * by PostgreSQL and left out, unless `before` is whole (`REPLICA
   * IDENTITY FULL`), which then provides it.
   */
  after?: Partial<Row>;
  /**
   * The commit LSN of the change's transaction, such as `"0/16B3748"`:
   * the same for every change of one transaction, and increasing from one
   * transaction to the next. For a snapshot row, the slot's consistent
   * point.
   */
  lsn: string;
  /** When the transaction committed (for a snapshot row, when it was read), ISO 8601. */
  commitTime: string;
}
