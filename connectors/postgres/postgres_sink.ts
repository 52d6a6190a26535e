// Copyright 2026 the @ca/streams authors. MIT license.

import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import type { FieldSelector } from "../../src/messages/message_encoder.ts";
import type { BatchSink } from "../../src/sinks/batch_sink.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { postgresDialect } from "./_postgres_sink_dialect.ts";
import { sqlBatchSink } from "./_sql_batch_sink.ts";
import { sqlSinkSettings } from "./_sql_sink_options.ts";
import type { PostgresSql } from "./postgres_store.ts";
import { bindSqlStore } from "./_sql_checkpoint_hook.ts";

/**
 * What {@linkcode postgresSink} needs of a `postgres` (porsager) `sql`
 * instance: `sql.unsafe(text, parameters)`, and `sql.begin(fn)` for the
 * transaction in which a failed batch is searched for the records at fault.
 * A `postgres(url)` instance has both.
 *
 * @example A stand-in `sql` that records the statements
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { postgresSink } from "@ca/streams/postgres";
 * import type { PostgresSinkSql } from "@ca/streams/postgres";
 *
 * const statements: string[] = [];
 * const answer = (rows: object[]) =>
 *   Object.assign(Promise.resolve(rows), { cancel() {} });
 * const sql: PostgresSinkSql = {
 *   unsafe(query, parameters) {
 *     statements.push(query.trim().split(/\s+/).slice(0, 3).join(" "));
 *     if (query.includes("to_regclass")) return answer([{ oid: "16384" }]);
 *     if (query.includes("format_type")) {
 *       return answer([{ name: "id", type: "integer", base: "integer", root: "integer",
 *         category: "N", writable: "y", maxchars: null }]);
 *     }
 *     if (query.includes("pg_index")) return answer([]);
 *     if (parameters?.[0] !== '{"1","2"}') throw new Error(`unexpected ${parameters}`);
 *     return answer([]);
 *   },
 *   begin: () => Promise.reject(new Error("no transaction expected")),
 * };
 * await pipeline([{ id: 1 }, { id: 2 }], postgresSink({ sql, table: "orders" }));
 * if (statements.at(-1) !== 'INSERT INTO "orders"') throw new Error(`unexpected ${statements}`);
 * ```
 */
export interface PostgresSinkSql extends PostgresSql {
  /**
   * Runs `fn` in a transaction on a connection of its own: `BEGIN`, then
   * `COMMIT` when `fn` resolves, `ROLLBACK` when it rejects.
   */
  begin(
    fn: (tx: PostgresSinkTransaction) => Promise<unknown>,
  ): PromiseLike<unknown>;
}

/**
 * The transaction {@linkcode PostgresSinkSql.begin} gives: queries, and
 * `savepoint(fn)`, which undoes what `fn` did when it rejects and lets the
 * transaction go on.
 *
 * @example A stand-in transaction
 * ```ts
 * import type { PostgresSinkTransaction } from "@ca/streams/postgres";
 *
 * const tx: PostgresSinkTransaction = {
 *   unsafe: () => Object.assign(Promise.resolve([]), { cancel() {} }),
 *   savepoint: (fn) => fn(tx),
 * };
 * await tx.savepoint(async (scope) => await scope.unsafe("SELECT 1"));
 * ```
 */
export interface PostgresSinkTransaction extends PostgresSql {
  /** Runs `fn` behind a savepoint: `ROLLBACK TO SAVEPOINT` when it rejects. */
  savepoint(fn: (scope: PostgresSql) => Promise<unknown>): PromiseLike<unknown>;
}

/**
 * Options for {@linkcode postgresSink}: where PostgreSQL is (`sql`, a
 * `postgres` instance that stays yours, or `url`), the table, `insert` or
 * `upsert` by a `key`, and which record field goes into which column.
 *
 * @typeParam T The record type.
 *
 * @example Upsert orders by id, two columns taken from nested fields
 * ```ts
 * import type { PostgresSinkOptions } from "@ca/streams/postgres";
 *
 * type Order = { id: number; customer: { name: string }; total: number };
 * const options: PostgresSinkOptions<Order> = {
 *   url: "postgres://app@db.internal:5432/shop",
 *   table: "sales.orders",
 *   mode: "upsert",
 *   key: "id",
 *   columns: { id: "/id", customer_name: "/customer/name", total_cents: (o) => Math.round(o.total * 100) },
 * };
 * if (options.mode !== "upsert") throw new Error("unexpected");
 * ```
 */
export interface PostgresSinkOptions<T> {
  /**
   * A `postgres` instance (`postgres(url)`): the sink uses it and never
   * ends it. Give `sql` or `url`, not both.
   */
  sql?: PostgresSinkSql;
  /**
   * `postgres://user:password@host:5432/database`: the sink opens its own
   * client (at most 2 connections, the `postgres` package loaded on the
   * first write) and ends it when the pipeline ends, stops or aborts.
   */
  url?: string;
  /**
   * The table, optionally schema-qualified (`"sales.orders"`). Each part is
   * quoted as given, so it is case-sensitive.
   */
  table: string;
  /**
   * `"insert"` (default) adds every record as a row; `"upsert"` inserts, or
   * updates the row with the same `key` (`ON CONFLICT (key) DO UPDATE SET`
   * the other columns).
   */
  mode?: "insert" | "upsert";
  /**
   * The key column(s): required for `"upsert"`, where the table needs a
   * primary key or unique index on exactly these columns. Errors name each
   * record by its key.
   */
  key?: string | readonly string[];
  /**
   * Column name to record field: a function of the record, or a JSON
   * pointer such as `"/customer/name"`. By default each record's own
   * fields are the columns (the union over the batch; a field a record
   * lacks is written as NULL, not the column's default).
   */
  columns?: Record<string, FieldSelector<T, unknown>>;
  /**
   * Retries of a batch whose statement failed for want of a connection
   * (refused, cut, the server restarting), a deadlock or a serialization
   * failure: default 6 attempts, waits from 100 ms doubling up to 5 s.
   * Records that do not fit are never retried.
   */
  retry?: RetryPolicy;
  /** Aborting it fails the write in flight and the sink. */
  signal?: AbortSignal;
  /**
   * Exactly-once effects (default false): each batch and the pipeline's
   * position are stored in one transaction, fenced by the checkpoint's
   * generation, and the pipeline commits no position itself. A crash then
   * repeats no row, even in `insert` mode. It needs the pipeline's
   * checkpoint store to be a `postgresStore` on the same client: the same
   * `sql` instance, or, with `url`, a store of the same host, port and
   * database (the sink then writes through the store's client). See
   * {@linkcode postgresSink} for when it applies.
   */
  exactlyOnce?: boolean;
}

const CONNECTOR = "postgres-sink";

/**
 * Creates a sink that writes records as rows of a PostgreSQL table, one
 * statement per batch: `INSERT INTO table (columns) SELECT ... FROM
 * unnest($1::text[], ...)`, each column sent as one array whatever the
 * batch size (so the statement is prepared once and reused), and each
 * value cast to its column's type by the server. A batch counts as stored
 * once the statement returns.
 *
 * The first write reads the table from the catalog: a table that does not
 * exist, a column that does not exist or is generated, or `upsert` without a
 * unique index on `key` fails the pipeline with a {@linkcode SqlTableError}
 * naming the table, the column and what to do. A value that does not fit
 * its column (text into an integer column, a number out of range, a string
 * too long, a duplicate key, a NULL into a NOT NULL column) is a
 * {@linkcode SqlRecordError} naming the record (its index in the batch, its
 * key) and the column. With a pipeline `deadLetter`, that record goes
 * there and the rest of the batch is stored: the sink finds the records at
 * fault by halving the batch inside one transaction, each half behind a
 * savepoint. Without one, the pipeline fails and nothing of the batch is
 * stored.
 *
 * Values: strings, numbers, bigints and booleans as their text; a `Date` as
 * ISO 8601; a `Uint8Array` for `bytea`; JSON for `json`/`jsonb` columns
 * and for other objects; a JavaScript array for an array column. `null` and
 * `undefined` are NULL. In `upsert` mode, of several records with the same
 * key in one batch the last wins. Delivery is at-least-once: after a crash
 * a batch may be written again (use `upsert` to make that harmless).
 *
 * With `exactlyOnce: true` a crash repeats no row: each batch is written
 * with the pipeline's position in one transaction (`BEGIN`, the rows, an
 * `UPDATE` of the checkpoint row fenced by the generation, `COMMIT`), and a
 * retry after a lost `COMMIT` first looks whether the position landed. It
 * applies when the sink is the pipeline's own sink (not inside `fanOut()`
 * or `route()`: a record fanned out to an exactly-once sink and another
 * sink is exactly-once only in this one, so it is refused there), the
 * source is not a `merge()`, and no processor holds records back across
 * source batches (a `TransformStream` of your own that buffers): otherwise the
 * first batch fails with an `ExactlyOnceError`. Records that go
 * to the dead letter are committed with their batch once the pipeline has
 * stored their dead letters. Effects outside the table (a trigger calling
 * out) are not covered.
 *
 * @typeParam T The record type.
 * @param options `sql` or `url`, `table`, `mode`, `key`, `columns`, `retry`, `signal`.
 * @returns A batch sink for `pipeline()`, with `health()`.
 * @throws {TypeError} When an option is not what it must be.
 *
 * @example Store orders, one row each
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { postgresSink } from "@ca/streams/postgres";
 *
 * // CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric)
 * await pipeline(
 *   [{ id: 1, customer: "ada", total: 9.5 }, { id: 2, customer: "bob", total: 3 }],
 *   postgresSink({ url: "postgres://postgres@127.0.0.1:5432/test", table: "orders", mode: "upsert", key: "id" }),
 * );
 * ```
 *
 * @example Options are checked at once
 * ```ts
 * import { postgresSink } from "@ca/streams/postgres";
 *
 * try {
 *   postgresSink({ url: "postgres://127.0.0.1/test", table: "orders", mode: "upsert" });
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof TypeError) || !error.message.includes("needs key")) throw error;
 * }
 * ```
 */
export function postgresSink<T = Record<string, unknown>>(
  options: PostgresSinkOptions<T>,
): BatchSink<T> {
  const where = "postgresSink()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${where}: options must be an object`);
  }
  const settings = sqlSinkSettings(where, options);
  const { sql, url } = options;
  if ((sql === undefined) === (url === undefined)) {
    throw new TypeError(
      `Cannot create ${where}: give sql (a postgres instance) or url, one of them`,
    );
  }
  if (
    sql !== undefined &&
    (typeof sql !== "function" && (typeof sql !== "object" || sql === null) ||
      typeof sql.unsafe !== "function" || typeof sql.begin !== "function")
  ) {
    throw new TypeError(
      `Cannot create ${where}: sql must be an instance of the postgres package (postgres(url)), got ${
        describeValue(sql)
      }`,
    );
  }
  if (
    url !== undefined &&
    (typeof url !== "string" || !URL.canParse(url) ||
      !["postgres:", "postgresql:"].includes(new URL(url).protocol))
  ) {
    throw new TypeError(
      `Cannot create ${where}: url must be a postgres:// or postgresql:// URL`,
    );
  }
  type OwnClient = PostgresSinkSql & {
    end(options: { timeout: number }): Promise<void>;
  };
  let own: Promise<OwnClient> | undefined;
  let ended = false;
  /** With exactlyOnce and a url: the checkpoint store's client. */
  let borrowed: PostgresSinkSql | undefined;
  const client = async (): Promise<PostgresSinkSql> => {
    if (sql !== undefined) return sql;
    if (borrowed !== undefined) return borrowed;
    if (ended) {
      throw new Error(
        `Cannot write to PostgreSQL (${CONNECTOR}): the sink is closed`,
      );
    }
    own ??= importOptional(
      () => import("postgres"),
      "postgres",
      `open the ${CONNECTOR}`,
    ).then(({ default: postgres }) =>
      postgres(url!, { max: 2, onnotice: () => {} }) as unknown as OwnClient
    );
    own.catch(() => own = undefined);
    return await own;
  };
  const dialect = postgresDialect({
    connector: CONNECTOR,
    table: settings.table,
    mode: settings.mode,
    key: settings.key,
    client,
    async end(timeout) {
      ended = true;
      const opened = await own?.catch(() => undefined);
      own = undefined;
      await opened?.end({ timeout });
    },
    bind(store) {
      const hook = bindSqlStore(store, {
        connector: CONNECTOR,
        table: settings.table,
        dialect: "postgres",
        database: "PostgreSQL",
        store: "postgresStore(sql) on the sink's sql client",
        client: "postgres client",
        share: "give postgresStore() and the sink the same postgres instance",
        given: sql,
        sameDatabase: (client) => sameDatabase(url!, client),
      });
      if (sql === undefined) borrowed = hook.client as PostgresSinkSql;
      return hook;
    },
  });
  return sqlBatchSink(CONNECTOR, dialect, settings);
}

/**
 * Whether `client` (a postgres.js instance, whose `options` name its
 * hosts, ports and database) is connected where `url` points.
 */
function sameDatabase(url: string, client: unknown): boolean {
  const options = (client as {
    options?: { host?: unknown; port?: unknown; database?: unknown };
  }).options;
  if (options === undefined) return false;
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1)) ||
    decodeURIComponent(parsed.username);
  const hosts = [options.host].flat().map(String);
  const ports = [options.port].flat().map(Number);
  const host = parsed.hostname.replace(/^\[|\]$/g, "") || "localhost";
  return options.database === database &&
    hosts.includes(host) && ports.includes(Number(parsed.port || 5432));
}
