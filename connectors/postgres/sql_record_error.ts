// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A record a SQL sink ({@linkcode postgresSink}, `mariadbSink`) could not
 * store: a value that does not fit its column (text into an integer column,
 * a number out of range, a string too long), a constraint it breaks (a
 * duplicate key, a `NOT NULL` column left empty), or a value the sink cannot
 * turn into SQL. It names the record (its index in the batch, and its key
 * when the sink has one) and the column. With a pipeline `deadLetter`, the
 * record goes there with this error and the rest of its batch is stored.
 *
 * @example Set aside the records that do not fit, and see why
 * ```ts
 * import { SqlRecordError } from "@ca/streams/postgres";
 *
 * const error = new SqlRecordError({
 *   connector: "postgres-sink",
 *   table: "orders",
 *   index: 3,
 *   key: { id: 7 },
 *   column: "qty",
 *   record: { id: 7, qty: "many" },
 *   reason: 'column "qty" (integer) cannot take "many": invalid input syntax for type integer: "many"',
 * });
 * if (error.code !== "CA_ERR_SQL_RECORD" || error.column !== "qty") throw new Error("unexpected");
 * if (!error.message.startsWith('Cannot write record 3 (id=7) to table "orders" (postgres-sink): ')) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class SqlRecordError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_SQL_RECORD" = "CA_ERR_SQL_RECORD";
  /** The connector, such as `"postgres-sink"`. */
  readonly connector: string;
  /** The table, as the sink was given it. */
  readonly table: string;
  /** The record's index in the batch the sink was writing. */
  readonly index: number;
  /** The record's values of the key columns, when the sink has a key. */
  readonly key: Readonly<Record<string, unknown>> | undefined;
  /** The column the value did not fit, when the server or a probe named one. */
  readonly column: string | undefined;
  /** The record itself. */
  readonly record: unknown;
  /** The server's SQLSTATE (`"22P02"`, `"23000"`...), when the server refused it. */
  readonly sqlState: string | undefined;

  /**
   * Creates the error.
   *
   * @param details The connector, the table, the record with its index,
   * key and column, the server's SQLSTATE, and the `reason` in words.
   * @param options The `cause`: the server's error, when there is one.
   */
  constructor(
    details: {
      connector: string;
      table: string;
      index: number;
      key?: Readonly<Record<string, unknown>>;
      column?: string;
      record: unknown;
      sqlState?: string;
      reason: string;
    },
    options?: ErrorOptions,
  ) {
    const key = details.key === undefined
      ? ""
      : ` (${
        Object.entries(details.key).map(([name, value]) =>
          `${name}=${shortValue(value)}`
        ).join(", ")
      })`;
    super(
      `Cannot write record ${details.index}${key} to table ${
        JSON.stringify(details.table)
      } (${details.connector}): ${details.reason}`,
      options,
    );
    this.name = "SqlRecordError";
    this.connector = details.connector;
    this.table = details.table;
    this.index = details.index;
    this.key = details.key;
    this.column = details.column;
    this.record = details.record;
    this.sqlState = details.sqlState;
  }
}

/** A key value as the message shows it: strings quoted and cut at 40 characters. */
function shortValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(
      value.length > 40 ? `${value.slice(0, 40)}...` : value,
    );
  }
  if (typeof value === "bigint") return String(value);
  try {
    return String(JSON.stringify(value) ?? value);
  } catch {
    return String(value);
  }
}
