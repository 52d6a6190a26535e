// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A SQL sink ({@linkcode postgresSink}, `mariadbSink`) cannot write to its
 * table at all: the table does not exist, a column the records need does
 * not exist or cannot be written, `upsert` has no unique key to go by, the
 * user lacks the rights. No record is at fault, so none goes to the dead
 * letter: the pipeline fails with this error, which names the connector,
 * the table, the column when one is at fault, and what to do.
 *
 * @example Tell a table that is not ready from other failures
 * ```ts
 * import { SqlTableError } from "@ca/streams/postgres";
 *
 * const error = new SqlTableError({
 *   connector: "postgres-sink",
 *   table: "orders",
 *   column: "qty",
 *   reason: 'it has no column "qty" (a field of record 0)',
 *   todo: "add the column, or choose the columns to write with the columns option",
 * });
 * if (error.code !== "CA_ERR_SQL_TABLE" || error.column !== "qty") throw new Error("unexpected");
 * if (!error.message.startsWith('Cannot write to table "orders" (postgres-sink): it has no column')) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class SqlTableError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_SQL_TABLE" = "CA_ERR_SQL_TABLE";
  /** The connector, such as `"postgres-sink"`. */
  readonly connector: string;
  /** The table, as the sink was given it. */
  readonly table: string;
  /** The column at fault, when one is. */
  readonly column: string | undefined;

  /**
   * Creates the error.
   *
   * @param details The connector, the table, the column at fault, the
   * `reason` and what to do about it (`todo`), in words.
   * @param options The `cause`: the server's error, when there is one.
   */
  constructor(
    details: {
      connector: string;
      table: string;
      column?: string;
      reason: string;
      todo?: string;
      /** What failed: `"write to"` (default, a sink) or `"read"` (a source). */
      verb?: "write to" | "read";
    },
    options?: ErrorOptions,
  ) {
    super(
      `Cannot ${details.verb ?? "write to"} table ${
        JSON.stringify(details.table)
      } (${details.connector}): ${details.reason}${
        details.todo ? `; ${details.todo}` : ""
      }`,
      options,
    );
    this.name = "SqlTableError";
    this.connector = details.connector;
    this.table = details.table;
    this.column = details.column;
  }
}
