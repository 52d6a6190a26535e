// Copyright 2026 the @ca/streams authors. MIT license.
// Connections and catalog look-ups shared by postgresChangeSource,
// dropPostgresChangeSlot and postgresChangeSlotStatus. Private.

import { importOptional } from "../runtime/import_optional.ts";
import { PostgresChangeError } from "./postgres_change_error.ts";

export const CONNECTOR = "postgres-change-source";

/** The part of a `postgres` (porsager) `sql` instance this connector uses. */
export interface PgClient {
  unsafe(query: string, parameters?: unknown[]): PgQuery;
  reserve(): Promise<PgReserved>;
  end(options?: { timeout?: number }): Promise<void>;
  options: { parsers: Record<number, PgParser | undefined> };
}

/** A query: a promise of rows, with `simple()`, `writable()` and `cursor()`. */
export interface PgQuery extends Promise<PgRow[]> {
  simple(): PgQuery;
  writable(): Promise<PgCopyStream>;
  cursor(rows: number): AsyncIterable<PgRow[]>;
  cancel(): unknown;
}

/** A connection reserved from the pool. */
export interface PgReserved {
  unsafe(query: string, parameters?: unknown[]): PgQuery;
  release(): void;
}

export type PgRow = Record<string, unknown>;

/** A parser of the `postgres` package: text to a value. */
export type PgParser = ((text: string) => unknown) & { array?: boolean };

/** The copy-both stream of START_REPLICATION (a Node.js Duplex). */
export interface PgCopyStream {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
  on(event: "close" | "end", listener: () => void): unknown;
  once(event: "close", listener: () => void): unknown;
  write(chunk: Uint8Array): boolean;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(error?: Error): unknown;
  readonly destroyed: boolean;
}

/** A table of the `tables` option. */
export interface TableName {
  schema: string;
  table: string;
  /** `"schema"."table"`, quoted for SQL. */
  quoted: string;
  /** `schema.table`, for messages and look-ups. */
  text: string;
}

/** The connection options every connector function takes. */
export interface PgConnection {
  url: string;
  clientOptions?: Record<string, unknown>;
}

/** `host:port/database` of a URL, without the credentials. */
export function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "(unparsable url)";
  }
}

/** Quotes an identifier for SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for SQL (for replication commands, which take no parameters). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `"public.orders"` or `"orders"` (schema public). */
export function parseTable(name: string): TableName | undefined {
  if (typeof name !== "string") return undefined;
  const parts = name.split(".");
  if (parts.length > 2 || parts.some((part) => part === "")) return undefined;
  const [schema, table] = parts.length === 2
    ? [parts[0]!, parts[1]!]
    : ["public", parts[0]!];
  return {
    schema,
    table,
    quoted: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
    text: `${schema}.${table}`,
  };
}

/** Slot names PostgreSQL accepts: lower-case letters, digits and `_`, at most 63. */
export const SLOT_NAME = /^[a-z0-9_]{1,58}$/;

/**
 * The name of the marker slot that exists while a snapshot is not wholly
 * stored: a physical slot that reserves no WAL.
 */
export function markerOf(slot: string): string {
  return `${slot}_snap`;
}

/** Opens a `postgres` client; `replication` makes it a walsender connection. */
export async function openClient(
  connection: PgConnection,
  replication: boolean,
): Promise<PgClient> {
  const { default: postgres } = await importOptional(
    () => import("postgres"),
    "postgres",
    `open ${CONNECTOR}`,
  );
  const extra = connection.clientOptions ?? {};
  const options: Record<string, unknown> = {
    ...extra,
    onnotice: () => {},
  };
  if (replication) {
    Object.assign(options, {
      max: 1,
      fetch_types: false,
      idle_timeout: null,
      max_lifetime: null,
      connection: {
        ...(extra.connection as object | undefined),
        replication: "database",
      },
    });
  } else {
    options.max = 2;
  }
  const make = postgres as unknown as (
    url: string,
    options: Record<string, unknown>,
  ) => PgClient;
  return make(connection.url, options);
}

/** The slot's row of `pg_replication_slots`, or `undefined`. */
export interface SlotRow {
  slot_type: string;
  plugin: string | null;
  database: string | null;
  active_pid: number | null;
  confirmed_flush_lsn: string | null;
  restart_lsn: string | null;
  retained_bytes: string | null;
  current_database: string;
}

export async function slotRow(
  sql: PgClient,
  slot: string,
): Promise<SlotRow | undefined> {
  const rows = await sql.unsafe(
    `SELECT slot_type, plugin, database, active_pid,
       confirmed_flush_lsn::text AS confirmed_flush_lsn,
       restart_lsn::text AS restart_lsn,
       CASE WHEN restart_lsn IS NULL THEN NULL ELSE
         pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text END AS retained_bytes,
       current_database() AS current_database
     FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return rows[0] as unknown as SlotRow | undefined;
}

/** Waits up to `ms` for the slot to be free (its reader may be exiting). */
export async function waitInactive(
  sql: PgClient,
  slot: string,
  ms: number,
): Promise<SlotRow | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = await slotRow(sql, slot);
    if (row?.active_pid == null || Date.now() >= deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Fails unless the server decodes logically and the user may replicate. */
export async function checkServer(
  sql: PgClient,
  action: string,
): Promise<void> {
  const [row] = await sql.unsafe(
    `SELECT current_setting('wal_level') AS wal_level,
       (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS may,
       current_user AS who`,
  );
  const { wal_level: level, may, who } = row as {
    wal_level: string;
    may: boolean;
    who: string;
  };
  if (level !== "logical") {
    throw new PostgresChangeError(
      "wal-level",
      action,
      `wal_level is "${level}", and logical replication needs "logical": set it (ALTER SYSTEM SET wal_level = logical, or wal_level = logical in postgresql.conf) and restart PostgreSQL`,
    );
  }
  if (!may) {
    throw new PostgresChangeError(
      "no-replication-rights",
      action,
      `user "${who}" may not use replication: grant it (ALTER ROLE ${
        quoteIdentifier(who)
      } WITH REPLICATION) or connect as a user who may, or read the table with postgres-table-source instead`,
    );
  }
}

/** Drops a slot; a slot in use fails with `"slot-active"` after a short wait. */
export async function dropSlot(
  sql: PgClient,
  slot: string,
  action: string,
): Promise<boolean> {
  const row = await waitInactive(sql, slot, 2000);
  if (row === undefined) return false;
  if (row.active_pid != null) throw activeError(slot, row.active_pid, action);
  try {
    await sql.unsafe("SELECT pg_drop_replication_slot($1)", [slot]);
  } catch (error) {
    // Dropped by someone else meanwhile: what was asked is done.
    if ((error as { code?: unknown }).code === "42704") return false;
    throw error;
  }
  return true;
}

export function activeError(
  slot: string,
  pid: number,
  action: string,
): PostgresChangeError {
  return new PostgresChangeError(
    "slot-active",
    action,
    `replication slot "${slot}" is in use by another process (pid ${pid}): stop the other reader, or give this source a slot of its own`,
  );
}

/** Wraps a server error, unless it is already ours. */
export function serverError(error: unknown, action: string): unknown {
  if (error instanceof PostgresChangeError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "42501") {
    return new PostgresChangeError("no-replication-rights", action, error);
  }
  if (code === "55000" && /wal_level/.test(String(error))) {
    return new PostgresChangeError("wal-level", action, error);
  }
  if (code === "55006") {
    return new PostgresChangeError("slot-active", action, error);
  }
  return new PostgresChangeError("server", action, error);
}
