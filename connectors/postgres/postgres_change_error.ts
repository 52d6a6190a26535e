// Copyright 2026 the @ca/streams authors. MIT license.

import { describeError } from "../../src/errors/describe_error.ts";

/**
 * Why a {@linkcode PostgresChangeError} was thrown, stable to match on:
 *
 * - `"wal-level"`: the server's `wal_level` is not `logical`;
 * - `"no-replication-rights"`: the user has neither `REPLICATION` nor superuser;
 * - `"table-missing"`: a table of `tables` does not exist;
 * - `"publication-missing"`: the publication does not exist, or lacks a
 *   table, and `createPublication` is `false`;
 * - `"slot-missing"`: the slot does not exist and `createSlot` is `false`;
 * - `"slot-active"`: another process reads the slot;
 * - `"slot-mismatch"`: the slot exists with another plugin than `pgoutput`,
 *   or in another database, or is a physical slot;
 * - `"reset-before-slot"`: `reset` asks for a position the slot has
 *   already confirmed (PostgreSQL cannot go back);
 * - `"server"`: the server refused or dropped the connection, or failed a
 *   statement.
 *
 * @example Every reason
 * ```ts
 * import type { PostgresChangeErrorReason } from "@ca/streams/postgres";
 *
 * const reasons: PostgresChangeErrorReason[] = [
 *   "wal-level", "no-replication-rights", "table-missing", "publication-missing",
 *   "slot-missing", "slot-active", "slot-mismatch", "reset-before-slot", "server",
 * ];
 * if (reasons.length !== 9) throw new Error("unexpected");
 * ```
 */
export type PostgresChangeErrorReason =
  | "wal-level"
  | "no-replication-rights"
  | "table-missing"
  | "publication-missing"
  | "slot-missing"
  | "slot-active"
  | "slot-mismatch"
  | "reset-before-slot"
  | "server";

/**
 * What `postgresChangeSource` and `dropPostgresChangeSlot` throw when
 * PostgreSQL cannot serve change data capture as configured. The message
 * names the connector, the server (its password shown as `***`), the slot
 * or table, and what to do; `reason` says which case it is, and `cause`
 * holds the server's error when there is one.
 *
 * @example Tell a server without logical decoding from other failures
 * ```ts
 * import { PostgresChangeError } from "@ca/streams/postgres";
 *
 * const error: unknown = new PostgresChangeError(
 *   "wal-level",
 *   "start postgres-change-source on 127.0.0.1:5432/shop",
 *   'wal_level is "replica", logical decoding needs "logical": set wal_level = logical and restart PostgreSQL',
 * );
 * if (!(error instanceof PostgresChangeError) || error.code !== "CA_ERR_POSTGRES_CHANGE") {
 *   throw new Error("unexpected");
 * }
 * if (error.reason !== "wal-level" || !error.message.startsWith("Cannot start postgres-change-source")) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class PostgresChangeError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_POSTGRES_CHANGE" = "CA_ERR_POSTGRES_CHANGE";
  /** Which case it is. */
  readonly reason: PostgresChangeErrorReason;

  /**
   * Creates the error.
   *
   * @param reason Which case it is.
   * @param action What could not be done, such as `"start postgres-change-source on 127.0.0.1:5432/shop"`.
   * @param why Why, and what to do: a sentence, or the server's error.
   */
  constructor(reason: PostgresChangeErrorReason, action: string, why: unknown) {
    super(
      `Cannot ${action}: ${describeError(why)}`,
      typeof why === "string" ? undefined : { cause: why },
    );
    this.name = "PostgresChangeError";
    this.reason = reason;
  }
}
