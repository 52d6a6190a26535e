// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import { describeError } from "../../src/errors/describe_error.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import {
  type ResumableSource,
  resumableSource,
} from "../../src/sources/resumable_source.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { sleep } from "../../src/util/sleep.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { quoteIdentifier, serverOf } from "./_pg_change_link.ts";
import type { PostgresQuery, PostgresSql } from "./postgres_store.ts";
import { SqlTableError } from "./sql_table_error.ts";

/**
 * Options for {@linkcode postgresTableSource}: where PostgreSQL is (`sql`,
 * a `postgres` instance that stays yours, or `url`), the table, its `key`,
 * and how to poll.
 *
 * @example An outbox table keyed by a bigserial id, two columns read
 * ```ts
 * import type { PostgresTableSourceOptions } from "@ca/streams/postgres";
 *
 * const options: PostgresTableSourceOptions = {
 *   url: "postgres://reader@db.internal:5432/shop",
 *   table: "sales.outbox",
 *   key: "id",
 *   columns: ["id", "payload"],
 *   batchSize: 200,
 *   pollIntervalMs: 500,
 * };
 * if (options.key !== "id") throw new Error("unexpected");
 * ```
 */
export interface PostgresTableSourceOptions {
  /**
   * A `postgres` instance (`postgres(url)`): the source uses it and never
   * ends it. Its type parsers and column name `transform`, if any, apply
   * to the records. Give `sql` or `url`, not both.
   */
  sql?: PostgresSql;
  /**
   * `postgres://user:password@host:5432/database`: the source opens its
   * own client (one connection, the `postgres` package loaded on the first
   * read) and ends it when the pipeline ends, stops or aborts.
   */
  url?: string;
  /**
   * The table, optionally schema-qualified (`"sales.outbox"`); without a
   * schema it is looked up on the `search_path`. Each part is quoted as
   * given, so it is case-sensitive. A plain, partitioned or materialized
   * table (views and foreign tables have no `xmin`).
   */
  table: string;
  /**
   * The key column: the table's primary key, or a `NOT NULL` column with
   * a unique index of its own. It orders the rows one transaction wrote,
   * and it is part of the position. An increasing one (a `bigserial` or
   * identity `id`) keeps those rows in the order they were inserted.
   */
  key: string;
  /** The columns to read (default: all of them, in the table's order). */
  columns?: readonly string[];
  /** Most rows per poll, and per batch (default 500). */
  batchSize?: number;
  /**
   * How long to wait after a poll that found fewer than `batchSize` rows,
   * in ms (default 1000). A full batch is followed by the next poll at once.
   */
  pollIntervalMs?: number;
  /** Aborting it stops the source and closes the client it opened. */
  signal?: AbortSignal;
}

/**
 * How far {@linkcode postgresTableSource} can read, from its last poll:
 * what `status()` returns. A source only reads rows written by
 * transactions older than every transaction still running on the server,
 * so one transaction left open holds back every row written after it
 * began: `heldBackBy` tells.
 *
 * @example Warn when a transaction has held the source back for a minute
 * ```ts
 * import type { PostgresTableSourceStatus } from "@ca/streams/postgres";
 *
 * const status: PostgresTableSourceStatus = {
 *   polledAt: "2026-05-01T10:02:00.000Z",
 *   horizon: "1048",
 *   heldBackBy: { xid: "1048", since: "2026-05-01T10:00:00.000Z" },
 * };
 * const since = status.heldBackBy && Date.parse(status.heldBackBy.since);
 * const stuck = since !== undefined && Date.parse(status.polledAt!) - since >= 60_000;
 * if (!stuck) throw new Error("unexpected");
 * ```
 */
export interface PostgresTableSourceStatus {
  /** When the last poll ran, ISO 8601; absent before the first. */
  polledAt?: string;
  /**
   * The last poll's horizon, as a decimal string: the 64-bit id (`xid8`)
   * of the oldest transaction still running on the server then (or of the
   * next transaction, when none was). Rows written by it or by later
   * transactions are read once it has ended.
   */
  horizon?: string;
  /**
   * The transaction at the horizon, while one is running: its `xid8`, and
   * since when this source has seen it there (how long it has been
   * holding the source back, at least). Absent when no transaction was
   * running at the last poll. Find it with `SELECT pid, xact_start, state,
   * query FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY
   * age(backend_xid) DESC LIMIT 1` (or in `pg_prepared_xacts`), and end it.
   */
  heldBackBy?: { xid: string; since: string };
}

/**
 * The source {@linkcode postgresTableSource} returns: a resumable source
 * of rows, with `status()`, how far it can read (see
 * {@linkcode PostgresTableSourceStatus}).
 *
 * @typeParam Row The shape of the table's rows.
 *
 * @example Read the status of a source
 * ```ts
 * import { postgresTableSource } from "@ca/streams/postgres";
 * import type { PostgresTableSource } from "@ca/streams/postgres";
 *
 * const source: PostgresTableSource<{ id: string }> = postgresTableSource({
 *   url: "postgres://reader@127.0.0.1:5432/shop",
 *   table: "outbox",
 *   key: "id",
 * }); // connects on the first read
 * if (source.status().polledAt !== undefined) throw new Error("unexpected");
 * ```
 */
export interface PostgresTableSource<Row> extends ResumableSource<Row> {
  /** How far the source can read, from its last poll. */
  status(): PostgresTableSourceStatus;
}

const CONNECTOR = "postgres-table-source";
const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Backoff between polls that failed for want of a connection. */
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Reads the rows of a PostgreSQL table by polling it, for users without
 * replication rights (only `SELECT` on the table is needed): each row
 * inserted, and each row updated, becomes a record, in the order of the
 * transactions that wrote them. For change data capture with deletes and
 * no table scans, use `postgresChangeSource()` (it needs a user with
 * `REPLICATION` and `wal_level = logical`).
 *
 * **Records** are the rows as plain objects of the `columns` (default
 * all), with values as the `postgres` package parses them, as in
 * `postgresChangeSource()`'s `after`: `integer` and `real` as numbers,
 * `boolean` as a boolean, `json`/`jsonb` parsed, `timestamp`,
 * `timestamptz` and `date` as a `Date` (JSON writes it as ISO 8601),
 * `bigint` and `numeric` as strings (no precision lost), types it has no
 * parser for as PostgreSQL's text.
 *
 * **The safe rule for transactions that commit out of order.** Polling by
 * the key alone loses rows: transaction T1 takes id 10 from a sequence,
 * T2 takes 11 and commits first, a poll reads 11 and moves past 10, and
 * when T1 commits its row is never read. So the source goes by the
 * transaction that wrote each row instead, its 64-bit id (`xid8`, from the
 * row's `xmin`), and reads, in each poll, only rows written by
 * transactions older than every transaction still running on the server
 * (`xid8 < pg_snapshot_xmin(pg_current_snapshot())`). Every transaction
 * below that horizon has ended, so that set of rows is final; the source
 * reads it in the order `(xid8, key)`, after its position. A row committed
 * later belongs to a transaction at or above the horizon, whose id is
 * above every position read so far: it comes in a later poll, nothing is
 * skipped. Hence:
 *
 * - the order is by transaction id (when a transaction wrote its first
 *   row), not by commit; rows one transaction wrote come in `key` order
 *   (rows written in a savepoint may come after other transactions');
 * - an `UPDATE` writes a new row version with a new `xmin`, so an updated
 *   row is read again, as it is then: the source is a feed of inserts and
 *   updates. Deletes are not seen;
 * - a long-running transaction anywhere on the server, in any database
 *   (or a prepared one), holds the horizon: nothing written after it began
 *   is read until it ends. `status().heldBackBy` shows it;
 * - each poll scans the table (system columns cannot be indexed): it suits
 *   tables of modest size, or outbox tables that are trimmed. For large
 *   tables use `postgresChangeSource()`;
 * - a row nobody updated for 2^32 (four billion) transactions may be read
 *   once more (its 32-bit `xmin` is then taken for a newer one).
 *
 * **Positions** are `{ xid, key }`: the `xid8` of the last row's
 * transaction and its key, both as text (`{ xid: "1048", key: "17" }`).
 * They go to the pipeline's checkpoint store (PostgreSQL keeps nothing for
 * the source), so delivery is at-least-once: a rerun resumes after the
 * last position committed; a reset to no position (`reset: "start"`) reads
 * the table from the start.
 *
 * On the first read the source checks the table: one that does not
 * exist, is not a table, cannot be read by the user, lacks the key or a
 * column, or whose key is not unique and `NOT NULL` fails the pipeline
 * with a {@linkcode SqlTableError} naming the connector, the table, the
 * column and what to do. A poll that loses its connection after that is
 * retried (100 ms doubling to 5 s, for as long as it takes) while
 * `health()` reports `"reconnecting"`.
 *
 * @typeParam Row The shape of the table's rows (of the `columns` read).
 * @param options `sql` or `url`, `table`, `key`, `columns`, `batchSize`, `pollIntervalMs`, `signal`.
 * @returns A resumable source of rows, with `status()`; it runs until stopped.
 * @throws {TypeError} When an option is not what it must be.
 * @throws {RangeError} When `batchSize` or `pollIntervalMs` is out of range.
 *
 * @example Copy new and updated orders into a file (needs a server)
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 * import { postgresStore, postgresTableSource } from "@ca/streams/postgres";
 * import postgres from "postgres";
 *
 * const sql = postgres("postgres://reader@127.0.0.1:5432/shop");
 * const running = pipeline(
 *   postgresTableSource<{ id: string; total: string }>({ sql, table: "orders", key: "id" }),
 *   fileSink("orders.ndjson"),
 *   { id: "orders-export", checkpoint: { store: postgresStore(sql) } },
 * );
 * setTimeout(() => running.stop(), 10_000);
 * await running;
 * await sql.end();
 * ```
 *
 * @example Options are checked when the source is made
 * ```ts
 * import { postgresTableSource } from "@ca/streams/postgres";
 *
 * try {
 *   postgresTableSource({ url: "postgres://127.0.0.1/shop", table: "orders", key: "" });
 *   throw new Error("expected a TypeError");
 * } catch (error) {
 *   if (!(error instanceof TypeError) || !error.message.includes("key")) throw error;
 * }
 * ```
 */
export function postgresTableSource<Row = Record<string, unknown>>(
  options: PostgresTableSourceOptions,
): PostgresTableSource<Row> {
  const settings = checkOptions(options);
  let health: ConnectionHealth = {
    state: "connecting",
    since: new Date().toISOString(),
  };
  const report = (state: ConnectionHealth["state"], error?: unknown) => {
    const changed = state !== health.state;
    health = {
      state,
      since: changed ? new Date().toISOString() : health.since,
      ...(error === undefined ? {} : { error: describeError(error, 300) }),
    };
  };
  let status: PostgresTableSourceStatus = {};
  const noteHorizon = (low: string, next: string) => {
    const now = new Date().toISOString();
    const held = BigInt(low) < BigInt(next)
      ? status.heldBackBy?.xid === low
        ? status.heldBackBy
        : { xid: low, since: now }
      : undefined;
    status = {
      polledAt: now,
      horizon: low,
      ...(held === undefined ? {} : { heldBackBy: held }),
    };
  };
  const source = resumableSource<Row>({
    name: `${CONNECTOR} ${settings.table}`,
    async *open(after, { signal }) {
      const stop = settings.signal === undefined
        ? signal
        : AbortSignal.any([signal, settings.signal]);
      let position = after === undefined
        ? undefined
        : positionOf(after, settings);
      const reader = new TableReader(settings, stop);
      try {
        await reader.open();
        report("connected");
        for (;;) {
          if (stop.aborted) return;
          const rows = await reader.poll(position, report, noteHorizon);
          if (rows === undefined) return;
          if (rows.records.length > 0) {
            position = rows.position!;
            yield { records: rows.records as Row[], position };
          }
          if (rows.records.length < settings.batchSize) {
            await sleep(settings.pollIntervalMs, stop).catch(() => {});
          }
        }
      } catch (error) {
        if (stop.aborted) return;
        throw error;
      } finally {
        await reader.close();
      }
    },
    health: () => health,
  });
  return Object.assign(source, {
    status: (): PostgresTableSourceStatus => ({ ...status }),
  });
}

/** The options, checked, with their defaults. */
interface Settings {
  sql: PostgresSql | undefined;
  url: string | undefined;
  table: string;
  /** `"schema"."table"` or `"table"`, quoted for SQL. */
  relation: string;
  key: string;
  columns: readonly string[] | undefined;
  batchSize: number;
  pollIntervalMs: number;
  signal: AbortSignal | undefined;
}

function checkOptions(options: PostgresTableSourceOptions): Settings {
  const what = `Cannot create ${CONNECTOR}`;
  const fail = (message: string): never => {
    throw new TypeError(`${what}: ${message}`);
  };
  if (options === null || typeof options !== "object") {
    fail(`options must be an object with sql or url, table and key`);
  }
  const { sql, url, table, key, columns, signal } = options;
  if ((sql === undefined) === (url === undefined)) {
    fail("give sql (a postgres instance) or url, one of them");
  }
  if (
    sql !== undefined &&
    (typeof sql !== "function" && (typeof sql !== "object" || sql === null) ||
      typeof sql.unsafe !== "function")
  ) {
    fail(
      `sql must be an instance of the postgres package (postgres(url)), got ${
        describeValue(sql)
      }`,
    );
  }
  if (
    url !== undefined &&
    (typeof url !== "string" || !URL.canParse(url) ||
      !["postgres:", "postgresql:"].includes(new URL(url).protocol))
  ) {
    fail("url must be a postgres:// or postgresql:// URL");
  }
  const parts = typeof table === "string" ? table.split(".") : [];
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === "")) {
    fail(
      `table must be a name such as "outbox" or "schema.outbox", got ${
        describeValue(table)
      }`,
    );
  }
  if (typeof key !== "string" || key === "") {
    fail(`key must be a column name, got ${describeValue(key)}`);
  }
  if (columns !== undefined) {
    if (
      !Array.isArray(columns) || columns.length === 0 ||
      columns.some((name) => typeof name !== "string" || name === "")
    ) {
      fail(
        `columns must be a non-empty array of column names, got ${
          describeValue(columns)
        }`,
      );
    }
    if (new Set(columns).size !== columns.length) {
      fail(`columns names a column twice: ${JSON.stringify(columns)}`);
    }
  }
  const batchSize = integer(what, "batchSize", options.batchSize, 1) ??
    DEFAULT_BATCH_SIZE;
  const pollIntervalMs =
    integer(what, "pollIntervalMs", options.pollIntervalMs, 1) ??
      DEFAULT_POLL_INTERVAL_MS;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(`signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  return {
    sql,
    url,
    table,
    relation: parts.map(quoteIdentifier).join("."),
    key,
    columns: columns === undefined ? undefined : [...columns],
    batchSize,
    pollIntervalMs,
    signal,
  };
}

function integer(
  what: string,
  field: string,
  value: number | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${what}: ${field} must be an integer of at least ${min}, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/** A position this source gave, `{ xid, key }`, checked. */
function positionOf(
  after: Position,
  settings: Settings,
): { xid: string; key: string } {
  const { xid, key } = (after ?? {}) as { xid?: unknown; key?: unknown };
  if (
    typeof after !== "object" || Array.isArray(after) ||
    typeof xid !== "string" || !/^[0-9]{1,20}$/.test(xid) ||
    typeof key !== "string"
  ) {
    throw new TypeError(
      `Cannot open ${CONNECTOR} on table ${
        JSON.stringify(settings.table)
      }: the position to resume after must be { xid, key } as this source gives them (such as { "xid": "1048", "key": "17" }), got ${
        describeError(JSON.stringify(after), 80)
      }: reset the pipeline's checkpoint`,
    );
  }
  return { xid, key };
}

/** A poll's rows as records, and the position of the last one. */
interface Polled {
  records: Record<string, unknown>[];
  position: { xid: string; key: string } | undefined;
}

/** The client a source opened from its URL. */
type OwnClient = PostgresSql & {
  end(options: { timeout: number }): Promise<void>;
};

/** The statement text, from the table as the catalog describes it. */
interface Plan {
  /** The poll, `$1`/`$2` the position's xid and key; without a position. */
  after: string;
  first: string;
}

/**
 * The catalog's view of the table, one row per column, with the table's
 * kind, whether the user may read it (`SELECT` on the whole table: `xmin`
 * takes it, column grants are not enough), and for each column whether it
 * is `NOT NULL` and alone in a unique index.
 */
const TABLE_SQL = `
  SELECT c.relkind::text AS kind, current_user AS who,
    has_table_privilege(c.oid, 'SELECT') AS readable,
    a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
    a.attnotnull AS not_null,
    EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
        AND i.indkey[0] = a.attnum AND i.indpred IS NULL
    ) AS unique_key
  FROM pg_class c
  LEFT JOIN pg_attribute a
    ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.oid = to_regclass($1)
  ORDER BY a.attnum`;

/** A row of {@linkcode TABLE_SQL}, its values taken by place. */
interface CatalogRow {
  kind: unknown;
  who: unknown;
  readable: unknown;
  name: unknown;
  type: unknown;
  notNull: unknown;
  unique: unknown;
}

/** The horizon alone, for a poll that found no rows: xmin, then xmax. */
const HORIZON_SQL =
  `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS low,
     pg_snapshot_xmax(pg_current_snapshot())::text AS next`;

/** Client and network errors (not SQLSTATEs) worth another poll. */
const TRANSIENT_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A lost connection, the server starting or shutting down, too many
 * connections, an I/O error: worth another poll. A statement timeout
 * (57014) is not: the same scan would time out again.
 */
function transient(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  if (TRANSIENT_CODES.has(code)) return true;
  if (!/^[0-9A-Z]{5}$/.test(code)) return false;
  const kind = code.slice(0, 2);
  return ["08", "53", "58"].includes(kind) ||
    (kind === "57" && code !== "57014" && code !== "57P04");
}

/** One open() of the source: its client, the table, the polls. */
class TableReader {
  #settings: Settings;
  #signal: AbortSignal;
  #own: Promise<OwnClient> | undefined;
  #sql: PostgresSql | undefined;
  #plan: Plan | undefined;
  #where: string;

  constructor(settings: Settings, signal: AbortSignal) {
    this.#settings = settings;
    this.#signal = signal;
    this.#where = settings.url === undefined
      ? ""
      : ` on ${serverOf(settings.url)}`;
  }

  /** Connects and reads the table from the catalog. */
  async open(): Promise<void> {
    const { sql, url } = this.#settings;
    if (sql !== undefined) this.#sql = sql;
    else {
      this.#own = importOptional(
        () => import("postgres"),
        "postgres",
        `open ${CONNECTOR}`,
      ).then(({ default: postgres }) =>
        postgres(url!, { max: 1, onnotice: () => {} }) as unknown as OwnClient
      );
      this.#sql = await this.#own;
    }
    let rows: readonly object[];
    try {
      rows = await this.#run(this.#sql.unsafe(TABLE_SQL, [
        this.#settings.relation,
      ]));
    } catch (error) {
      throw this.#failure(error);
    }
    // By place, as each row's values come: a client's column name
    // transform (postgres.camel, ...) renames the fields.
    this.#plan = this.#planOf(rows.map((row) => {
      const [kind, who, readable, name, type, notNull, unique] = Object.values(
        row,
      );
      return { kind, who, readable, name, type, notNull, unique };
    }));
  }

  /** Fails unless the table can serve; the statements for it. */
  #planOf(rows: CatalogRow[]): Plan {
    const { key, relation } = this.#settings;
    const first = rows[0];
    if (first === undefined) {
      throw this.#tableError(
        "it does not exist",
        `create it, or name its schema ("schema.table") when it is not on the search_path`,
      );
    }
    if (!["r", "p", "m"].includes(String(first.kind))) {
      throw this.#tableError(
        "it is not a table (a view or a foreign table has no xmin, which the source reads by)",
        "read the table behind it",
      );
    }
    if (first.readable !== true) {
      throw this.#tableError(
        `user ${
          JSON.stringify(first.who)
        } may not read it (SELECT on the whole table is needed: the source reads the system column xmin, which column grants do not cover)`,
        `grant it: GRANT SELECT ON ${relation} TO ${
          quoteIdentifier(String(first.who))
        }`,
      );
    }
    const types = new Map<string, { type: string; usable: boolean }>();
    for (const row of rows) {
      if (row.name === null) continue;
      types.set(String(row.name), {
        type: String(row.type),
        usable: row.notNull === true && row.unique === true,
      });
    }
    const keyColumn = types.get(key);
    if (keyColumn === undefined) {
      throw this.#tableError(
        `it has no column ${JSON.stringify(key)} (the key)`,
        `set key to its primary key column${
          types.size > 0
            ? ` (its columns: ${[...types.keys()].join(", ")})`
            : ""
        }`,
        key,
      );
    }
    if (!keyColumn.usable) {
      throw this.#tableError(
        `its key column ${
          JSON.stringify(key)
        } is neither its primary key nor NOT NULL with a unique index of its own, so rows could share a position`,
        `set key to the primary key column, or make ${
          JSON.stringify(key)
        } NOT NULL and create a unique index on it alone`,
        key,
      );
    }
    const names = this.#settings.columns ?? [...types.keys()];
    for (const name of names) {
      if (!types.has(name)) {
        throw this.#tableError(
          `it has no column ${JSON.stringify(name)} (of the columns option)`,
          `add it, or leave it out of columns (its columns: ${
            [...types.keys()].join(", ")
          })`,
          name,
        );
      }
    }
    // Four names of no column of the table, for what the poll adds to each
    // row: the row's xid8, its key, and the snapshot's xmin and xmax.
    const taken = new Set(types.keys());
    const alias = (base: string) => {
      let name = base;
      while (taken.has(name)) name = `_${name}`;
      taken.add(name);
      return quoteIdentifier(name);
    };
    const [xid, order, low, next] = [
      alias("ca_xid"),
      alias("ca_key"),
      alias("ca_low"),
      alias("ca_next"),
    ];
    const xmin = "t.xmin::text::bigint";
    const picked = names.map(quoteIdentifier);
    // The row's xid8: its 32-bit xmin in the epoch of the snapshot's xmax
    // (the next xid, which pg_current_snapshot() assigns no xid to get),
    // or the one before when xmin is not below xmax's low 32 bits. 0, 1
    // and 2 (invalid, bootstrap, frozen) are older than any.
    const body = `SELECT ${picked.map((c) => `v.${c}`).join(", ")},
        v.${xid}::text AS ${xid}, v.${order}::text AS ${order},
        v.${low}::text AS ${low}, v.${next}::text AS ${next}
      FROM (
        SELECT ${picked.map((c) => `t.${c}`).join(", ")},
          t.${quoteIdentifier(key)} AS ${order},
          CASE WHEN ${xmin} < 3 THEN ${xmin}
            ELSE ((h.next >> 32) << 32) + ${xmin}
              - CASE WHEN ${xmin} >= (h.next & 4294967295)
                  THEN 4294967296 ELSE 0 END
          END AS ${xid},
          h.low AS ${low}, h.next AS ${next}
        FROM ${relation} AS t, (
          SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS low,
            pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next
        ) AS h
      ) AS v
      WHERE v.${xid} < v.${low}`;
    const tail =
      `ORDER BY v.${xid}, v.${order} LIMIT ${this.#settings.batchSize}`;
    return {
      first: `${body} ${tail}`,
      after:
        `${body} AND (v.${xid}, v.${order}) > ($1::text::bigint, CAST($2::text AS ${keyColumn.type})) ${tail}`,
    };
  }

  /**
   * The next rows after `position`, retrying lost connections; `undefined`
   * once the signal aborted.
   */
  async poll(
    position: { xid: string; key: string } | undefined,
    report: (state: "connected" | "reconnecting", error?: unknown) => void,
    noteHorizon: (low: string, next: string) => void,
  ): Promise<Polled | undefined> {
    const sql = this.#sql!;
    const plan = this.#plan!;
    for (let attempt = 1;; attempt++) {
      if (this.#signal.aborted) return undefined;
      try {
        const rows = await this.#run(
          position === undefined
            ? sql.unsafe(plan.first)
            : sql.unsafe(plan.after, [position.xid, position.key]),
        );
        if (rows.length === 0) {
          const [horizon] = await this.#run(sql.unsafe(HORIZON_SQL));
          const [low, next] = Object.values(horizon!);
          noteHorizon(String(low), String(next));
          report("connected");
          return { records: [], position };
        }
        report("connected");
        return this.#records(rows as Record<string, unknown>[], noteHorizon);
      } catch (error) {
        if (this.#signal.aborted) return undefined;
        if (!transient(error)) throw this.#failure(error);
        report("reconnecting", error);
        const ceiling = Math.min(
          RETRY_MAX_MS,
          RETRY_INITIAL_MS * 2 ** Math.min(attempt - 1, 16),
        );
        await sleep(ceiling / 2 + Math.random() * ceiling / 2, this.#signal)
          .catch(() => {});
      }
    }
  }

  /**
   * The rows as records, without the four columns the poll adds (taken by
   * place, the last four, so a client's column name transform does not
   * matter).
   */
  #records(
    rows: Record<string, unknown>[],
    noteHorizon: (low: string, next: string) => void,
  ): Polled {
    const keys = Object.keys(rows[0]!);
    const fields = keys.slice(0, -4);
    const [xid, order, low, next] = keys.slice(-4) as [
      string,
      string,
      string,
      string,
    ];
    const records = new Array<Record<string, unknown>>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const record: Record<string, unknown> = {};
      for (const field of fields) record[field] = row[field];
      records[i] = record;
    }
    const last = rows[rows.length - 1]!;
    noteHorizon(String(last[low]), String(last[next]));
    return {
      records,
      position: { xid: String(last[xid]), key: String(last[order]) },
    };
  }

  /**
   * Waits for a query, or rejects at once when the signal aborts. The
   * query is not cancelled (a cancel request is one more connection to
   * the server): a poll is short, and it finishes unread.
   */
  #run(pending: PostgresQuery): Promise<readonly object[]> {
    const signal = this.#signal;
    const settled = Promise.resolve(pending);
    if (signal.aborted) {
      settled.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        settled.catch(() => {});
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      settled.then((rows) => {
        signal.removeEventListener("abort", onAbort);
        resolve(rows);
      }, (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      });
    });
  }

  /** A server's error as the source reports it. */
  #failure(error: unknown): Error {
    const code = codeOf(error);
    const message = describeError(error);
    switch (code) {
      case "42P01":
        return this.#tableError(
          "it does not exist",
          `create it, or name its schema ("schema.table") when it is not on the search_path`,
          undefined,
          error,
        );
      case "3F000":
        return this.#tableError(
          "its schema does not exist",
          "create the schema and the table, or fix the table option",
          undefined,
          error,
        );
      case "42703":
        return this.#tableError(
          message,
          "add the column, or fix the key and columns options",
          /column "((?:[^"]|"")*)"/.exec(message)?.[1],
          error,
        );
      case "42501":
        return this.#tableError(
          message,
          "grant the source's user USAGE on the table's schema and SELECT on the table",
          undefined,
          error,
        );
    }
    return new Error(
      `Cannot read table ${
        JSON.stringify(this.#settings.table)
      } (${CONNECTOR})${this.#where}: ${message}`,
      { cause: error },
    );
  }

  #tableError(
    reason: string,
    todo: string,
    column?: string,
    cause?: unknown,
  ): SqlTableError {
    const error = new SqlTableError(
      {
        connector: CONNECTOR,
        table: this.#settings.table,
        reason,
        todo,
        verb: "read",
        ...(column === undefined ? {} : { column }),
      },
      cause === undefined ? undefined : { cause },
    );
    return error;
  }

  /** Ends the client the source opened (a given one stays open). */
  async close(): Promise<void> {
    const own = this.#own;
    this.#own = undefined;
    const client = await own?.catch(() => undefined);
    if (client === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.end({ timeout: 1 }).catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, 3000)),
    ]);
    clearTimeout(timer);
  }
}
