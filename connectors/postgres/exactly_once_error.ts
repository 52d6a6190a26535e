// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A SQL sink with `exactlyOnce: true` cannot store a batch and the
 * pipeline's position in one transaction: the pipeline has no checkpoint
 * store, the store is not one of the sink's database and client, or the
 * batch does not end where a batch of the source ended. The message says
 * which, and what to do. Nothing of the batch is stored.
 *
 * @example Tell it apart from other failures
 * ```ts
 * import { ExactlyOnceError } from "@ca/streams/postgres";
 *
 * const error = new ExactlyOnceError({
 *   connector: "postgres-sink",
 *   table: "orders",
 *   reason: "the pipeline has no checkpoint store",
 *   todo: "set options.checkpoint.store to a postgresStore on the sink's client",
 * });
 * if (error.code !== "CA_ERR_EXACTLY_ONCE") throw new Error("unexpected");
 * if (!error.message.startsWith('Cannot write exactly once to table "orders"')) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class ExactlyOnceError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_EXACTLY_ONCE" = "CA_ERR_EXACTLY_ONCE";
  /** The connector, such as `"postgres-sink"`. */
  readonly connector: string;
  /** The table, as the sink was given it. */
  readonly table: string;

  /**
   * Builds the message from the details.
   *
   * @param details The connector, the table, why, and what to do.
   * @param options The cause, if any.
   */
  constructor(
    details: { connector: string; table: string; reason: string; todo: string },
    options?: ErrorOptions,
  ) {
    super(
      `Cannot write exactly once to table ${
        JSON.stringify(details.table)
      } (${details.connector}): ${details.reason}; ${details.todo}`,
      options,
    );
    this.name = "ExactlyOnceError";
    this.connector = details.connector;
    this.table = details.table;
  }
}
