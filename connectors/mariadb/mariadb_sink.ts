// Copyright 2026 the @ca/streams authors. MIT license.

import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import type { FieldSelector } from "../../src/messages/message_encoder.ts";
import type { BatchSink } from "../../src/sinks/batch_sink.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { sqlBatchSink } from "../postgres/_sql_batch_sink.ts";
import { sqlSinkSettings } from "../postgres/_sql_sink_options.ts";
import { bindSqlStore } from "../postgres/_sql_checkpoint_hook.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { endPool } from "./_mariadb_connection.ts";
import { mariadbDialect } from "./_mariadb_sink_dialect.ts";
import type { MariadbPool } from "./mariadb_pool.ts";

/**
 * Options for {@linkcode mariadbSink}: where MariaDB is (`pool`, a
 * `mysql2/promise` pool that stays yours, or `url`), the table, `insert`
 * or `upsert` by a `key`, and which record field goes into which column.
 *
 * @typeParam T The record type.
 *
 * @example Upsert orders by id, two columns taken from nested fields
 * ```ts
 * import type { MariadbSinkOptions } from "@ca/streams/mariadb";
 *
 * type Order = { id: number; customer: { name: string }; total: number };
 * const options: MariadbSinkOptions<Order> = {
 *   url: "mysql://app@db.internal:3306/shop",
 *   table: "orders",
 *   mode: "upsert",
 *   key: "id",
 *   columns: { id: "/id", customer_name: "/customer/name", total_cents: (o) => Math.round(o.total * 100) },
 * };
 * if (options.key !== "id") throw new Error("unexpected");
 * ```
 */
export interface MariadbSinkOptions<T> {
  /**
   * A `mysql2/promise` pool (`createPool(url)`): the sink uses it and
   * never ends it. Give `pool` or `url`, not both.
   */
  pool?: MariadbPool;
  /**
   * `mysql://user:password@host:3306/database` (or `mariadb://`): the sink
   * opens its own pool (at most 2 connections, the `mysql2` package loaded
   * on the first write, dates written in UTC) and ends it when the pipeline
   * ends, stops or aborts.
   */
  url?: string;
  /** The table, optionally with its database (`"shop.orders"`). */
  table: string;
  /**
   * `"insert"` (default) adds every record as a row; `"upsert"` inserts, or
   * updates the row whose unique key it repeats (`ON DUPLICATE KEY UPDATE`
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
   * Retries of a batch whose statement failed for want of a connection, a
   * deadlock or a lock wait timeout: default 6 attempts, waits from 100 ms
   * doubling up to 5 s. Records that do not fit are never retried.
   */
  retry?: RetryPolicy;
  /** Aborting it fails the write in flight and the sink. */
  signal?: AbortSignal;
  /**
   * Exactly-once effects (default false): each batch and the pipeline's
   * position are stored in one InnoDB transaction, fenced by the
   * checkpoint's generation, and the pipeline commits no position itself.
   * A crash then repeats no row, even in `insert` mode. It needs the
   * pipeline's checkpoint store to be a `mariadbStore` on the same pool:
   * the same `pool` object, or, with `url`, a store of the same host, port
   * and database (the sink then writes through the store's pool, with its
   * settings, such as its `timezone`). See {@linkcode mariadbSink} for when
   * it applies.
   */
  exactlyOnce?: boolean;
}

const CONNECTOR = "mariadb-sink";

/**
 * Creates a sink that writes records as rows of a MariaDB (or MySQL)
 * table, one statement per batch: `INSERT INTO table (columns) VALUES
 * (...), (...)`, the values escaped by the pool, in one round trip; a
 * batch larger than the server's `max_allowed_packet` is split into
 * several statements inside one transaction. A batch counts as stored once
 * the statement returns.
 *
 * The first write reads the table from `information_schema`: a table that
 * does not exist, a column that does not exist or is generated, or
 * `upsert` without a unique index on `key` fails the pipeline with a
 * `SqlTableError` naming the table, the column and what to do. A value
 * that does not fit its column (text into an integer column, a number out
 * of range, a string too long, a duplicate key, a NULL into a NOT NULL
 * column) is a `SqlRecordError` naming the record (its index in the batch,
 * its key) and the column. With a pipeline `deadLetter`, that record goes
 * there and the rest of the batch is stored: the sink finds the records at
 * fault by halving the batch inside one InnoDB transaction, each half
 * behind a savepoint. Without one, the pipeline fails and nothing of the
 * batch is stored. Values that do not fit are errors only in strict mode
 * (`STRICT_TRANS_TABLES`, MariaDB's default since 10.2.4); otherwise the
 * server cuts them with a warning.
 *
 * Values: strings, numbers and booleans as they are; bigints as text; a
 * `Date` as the pool formats it (in its `timezone`); a `Uint8Array` as
 * bytes; JSON for JSON columns and for other objects and arrays. `null`
 * and `undefined` are NULL. Delivery is at-least-once: after a crash a
 * batch may be written again (use `upsert` to make that harmless).
 *
 * With `exactlyOnce: true` a crash repeats no row: each batch is written
 * with the pipeline's position in one InnoDB transaction (`START
 * TRANSACTION`, the rows, an `UPDATE` of the checkpoint row fenced by the
 * generation, `COMMIT`), and a retry after a lost `COMMIT` first looks
 * whether the position landed. It applies when the sink is the pipeline's
 * own sink (not inside `fanOut()` or `route()`: a record fanned out to an
 * exactly-once sink and another sink is exactly-once only in this one, so
 * it is refused there), the source is not a `merge()`, and no processor
 * holds records back across source batches (a `TransformStream` of your
 * own that buffers): otherwise the first batch fails with an
 * `ExactlyOnceError`. Records that go to the dead letter are committed
 * with their batch once the pipeline has stored their dead letters. The
 * table must be transactional (InnoDB: a MyISAM table keeps rows of a
 * batch whose position was rolled back), and effects outside the table (a
 * trigger writing elsewhere outside InnoDB) are not covered.
 *
 * @typeParam T The record type.
 * @param options `pool` or `url`, `table`, `mode`, `key`, `columns`, `retry`, `signal`, `exactlyOnce`.
 * @returns A batch sink for `pipeline()`, with `health()`.
 * @throws {TypeError} When an option is not what it must be.
 *
 * @example Store orders, one row each
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { mariadbSink } from "@ca/streams/mariadb";
 *
 * // CREATE TABLE orders (id INT PRIMARY KEY, customer TEXT, total DECIMAL(10, 2))
 * await pipeline(
 *   [{ id: 1, customer: "ada", total: 9.5 }, { id: 2, customer: "bob", total: 3 }],
 *   mariadbSink({ url: "mysql://root@127.0.0.1:3306/test", table: "orders", mode: "upsert", key: "id" }),
 * );
 * ```
 *
 * @example Options are checked at once
 * ```ts
 * import { mariadbSink } from "@ca/streams/mariadb";
 *
 * try {
 *   mariadbSink({ url: "postgres://127.0.0.1/test", table: "orders" });
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof TypeError) || !error.message.includes("mysql://")) throw error;
 * }
 * ```
 */
export function mariadbSink<T = Record<string, unknown>>(
  options: MariadbSinkOptions<T>,
): BatchSink<T> {
  const where = "mariadbSink()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${where}: options must be an object`);
  }
  const settings = sqlSinkSettings(where, options);
  if (settings.table.split(".").length > 2) {
    throw new TypeError(
      `Cannot create ${where}: table must be a name such as "orders" or "database.orders", got ${
        JSON.stringify(settings.table)
      }`,
    );
  }
  const { pool, url } = options;
  if ((pool === undefined) === (url === undefined)) {
    throw new TypeError(
      `Cannot create ${where}: give pool (a mysql2/promise pool) or url, one of them`,
    );
  }
  if (
    pool !== undefined &&
    (pool === null || typeof pool !== "object" ||
      typeof pool.query !== "function" || typeof pool.escape !== "function" ||
      typeof pool.getConnection !== "function")
  ) {
    throw new TypeError(
      `Cannot create ${where}: pool must be a mysql2/promise pool (createPool(url)), got ${
        describeValue(pool)
      }`,
    );
  }
  if (
    url !== undefined &&
    (typeof url !== "string" || !URL.canParse(url) ||
      !["mysql:", "mariadb:"].includes(new URL(url).protocol))
  ) {
    throw new TypeError(
      `Cannot create ${where}: url must be a mysql:// or mariadb:// URL`,
    );
  }
  type OwnPool = MariadbPool & { end(): Promise<void> };
  let own: Promise<OwnPool> | undefined;
  let ended = false;
  /** With exactlyOnce and a url: the checkpoint store's pool. */
  let borrowed: MariadbPool | undefined;
  const opened = async (): Promise<MariadbPool> => {
    if (pool !== undefined) return pool;
    if (borrowed !== undefined) return borrowed;
    if (ended) {
      throw new Error(
        `Cannot write to MariaDB (${CONNECTOR}): the sink is closed`,
      );
    }
    own ??= importOptional(
      () => import("mysql2/promise"),
      "mysql2",
      `open the ${CONNECTOR}`,
    ).then((module) => {
      const made = module.default.createPool({
        uri: url!,
        connectionLimit: 2,
        timezone: "Z",
      });
      // Dates go out in UTC: so TIMESTAMP columns read them as UTC too.
      made.pool.on("connection", (connection) => {
        connection.query("SET time_zone = '+00:00'");
      });
      return made as unknown as OwnPool;
    });
    own.catch(() => own = undefined);
    return await own;
  };
  const dialect = mariadbDialect({
    connector: CONNECTOR,
    table: settings.table,
    mode: settings.mode,
    key: settings.key,
    pool: opened,
    async end() {
      ended = true;
      const made = await own?.catch(() => undefined);
      own = undefined;
      if (made !== undefined) await endPool(made);
    },
    bind(store) {
      const hook = bindSqlStore(store, {
        connector: CONNECTOR,
        table: settings.table,
        dialect: "mariadb",
        database: "MariaDB",
        store: "mariadbStore(pool) on the sink's pool",
        client: "mysql2 pool",
        share: "give mariadbStore() and the sink the same pool",
        given: pool,
        sameDatabase: (client) => sameDatabase(url!, client),
      });
      if (pool === undefined) borrowed = hook.client as MariadbPool;
      return hook;
    },
  });
  return sqlBatchSink(CONNECTOR, dialect, settings);
}

/**
 * Whether `pool` (a mysql2/promise pool, whose core pool's
 * `config.connectionConfig` names its host, port and database) is
 * connected where `url` points.
 */
function sameDatabase(url: string, pool: unknown): boolean {
  const config = (pool as {
    pool?: {
      config?: {
        connectionConfig?: {
          host?: unknown;
          port?: unknown;
          database?: unknown;
        };
      };
    };
  }).pool?.config?.connectionConfig;
  if (config === undefined) return false;
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "") || "localhost";
  return String(config.host ?? "localhost") === host &&
    Number(config.port ?? 3306) === Number(parsed.port || 3306) &&
    (config.database ?? "") === decodeURIComponent(parsed.pathname.slice(1));
}
