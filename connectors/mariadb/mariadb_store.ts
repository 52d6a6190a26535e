// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import {
  storedGeneration,
  storedPosition,
} from "../../src/checkpoint/stored_checkpoint.ts";
import { beginCommit } from "../../src/checkpoint/begin_commit.ts";
import { beginStoreCall } from "../../src/checkpoint/begin_store_call.ts";
import type {
  Checkpoint,
  CheckpointStore,
  StoreCallOptions,
} from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { positionJson } from "../../src/checkpoint/position_json.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import {
  SQL_CHECKPOINT,
  type SqlCheckpointHook,
  type SqlQuery,
} from "../postgres/_sql_checkpoint_hook.ts";
import {
  resultRows,
  withConnection as onConnection,
} from "./_mariadb_connection.ts";
import type { MariadbPool, MariadbPoolConnection } from "./mariadb_pool.ts";

/**
 * Options for {@linkcode mariadbStore}.
 *
 * @example A table made by a migration, in a database of its own
 * ```ts
 * import { mariadbStore } from "@ca/streams/mariadb";
 * import type { MariadbStoreOptions } from "@ca/streams/mariadb";
 *
 * const sent: string[] = [];
 * const connection = {
 *   threadId: 1,
 *   query: async (sql: string) => {
 *     sent.push(sql);
 *     return [[], []] as const;
 *   },
 *   release() {},
 *   destroy() {},
 * };
 * const pool = { // a stand-in for createPool(url)
 *   query: connection.query,
 *   escape: String,
 *   getConnection: async () => connection,
 * };
 * const options: MariadbStoreOptions = { table: "etl.checkpoints", createTable: false };
 * await mariadbStore(pool, options).get("orders");
 * if (sent.length !== 1 || !sent[0]!.includes("FROM `etl`.`checkpoints`")) {
 *   throw new Error(`unexpected ${sent}`);
 * }
 * ```
 */
export interface MariadbStoreOptions {
  /**
   * The table, optionally with its database (`"etl.checkpoints"`); default
   * `"ca_checkpoints"` in the pool's database. Each part is quoted as given.
   */
  table?: string;
  /**
   * Create the table on first use if it is missing (default `true`). Turn
   * off when the user may not create tables and a migration makes it.
   */
  createTable?: boolean;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

const generationOf = (value: unknown) => storedGeneration(value, "MariaDB");

const DEFAULT_TABLE = "ca_checkpoints";
/** The longest id, in UTF-8 bytes: the key column is `VARBINARY(3072)`. */
const MAX_ID_BYTES = 3072;

function quoteName(name: string): string {
  return name.split(".").map((part) => `\`${part.replaceAll("`", "``")}\``)
    .join(".");
}

/** How many rows an UPDATE matched (not only changed). */
function matched(result: unknown): number {
  const { info, affectedRows } = result as {
    info?: unknown;
    affectedRows?: unknown;
  };
  const found = typeof info === "string"
    ? /Rows matched: (\d+)/.exec(info)
    : null;
  return found ? Number(found[1]) : Number(affectedRows ?? 0);
}

/**
 * Creates a checkpoint store in a MariaDB (or MySQL) table, through a
 * `mysql2/promise` pool that stays the caller's.
 *
 * One row per pipeline id: `id VARBINARY(3072) PRIMARY KEY` (the id's
 * UTF-8 bytes, compared exactly: case and trailing spaces count),
 * `generation BIGINT`, `position LONGTEXT` (the position's JSON, as
 * written), `updated_at DATETIME(6)`, in InnoDB. The table is created on
 * first use if missing. `acquire()` is one transaction: `INSERT ... ON
 * DUPLICATE KEY UPDATE generation = generation + 1`, then the row read
 * back under its lock; `commit()` one `UPDATE ... WHERE id = ? AND
 * generation = ?`, fenced when it matches no row. So fencing holds across
 * any number of processes, and a commit is durable when it resolves
 * (InnoDB's `innodb_flush_log_at_trx_commit`). A `mariadbSink` with
 * `exactlyOnce` on the same pool commits through the same fenced `UPDATE`,
 * inside the transaction that writes its batch.
 *
 * Each call takes a connection of its own from the pool. A call given up
 * by `signal` stops its statement on the server (`KILL QUERY`) and drops
 * the connection; a commit may still have happened if the kill came too
 * late. Ids longer than 3072 bytes in UTF-8 are refused with a
 * `RangeError`.
 *
 * @param pool A `mysql2/promise` pool (`createPool(url)`).
 * @param options `table`, `createTable`, and a `signal` that stops the whole store.
 * @returns A {@linkcode CheckpointStore} backed by the table.
 * @throws {TypeError} When `pool` or an option is not what it must be.
 *
 * @example Keep checkpoints beside the data
 * ```ts ignore
 * import mysql from "mysql2/promise";
 * import { mariadbStore } from "@ca/streams/mariadb";
 *
 * const pool = mysql.createPool("mysql://root@127.0.0.1:3306/test");
 * const store = mariadbStore(pool, { table: "etl_checkpoints" });
 * const { position, generation } = await store.acquire("orders");
 * console.log("resume after", position);
 * await store.commit("orders", { offset: 42 }, generation);
 * await pool.end();
 * ```
 *
 * @example A generation that is not the newest is fenced
 * ```ts
 * import { mariadbStore } from "@ca/streams/mariadb";
 *
 * // A stand-in pool whose table holds generation 5 for every id.
 * const connection = {
 *   threadId: 1,
 *   async query(sql: string, values?: unknown[]) {
 *     if (sql.startsWith("UPDATE")) {
 *       const current = values?.[2] === 5;
 *       return [{ info: `Rows matched: ${current ? 1 : 0}`, affectedRows: 0 }, []] as const;
 *     }
 *     return [[{ generation: "5" }], []] as const;
 *   },
 *   release() {},
 *   destroy() {},
 * };
 * const pool = { query: connection.query, escape: String, getConnection: async () => connection };
 * const store = mariadbStore(pool, { createTable: false });
 * await store.commit("orders", 1, 5);
 * const error = await store.commit("orders", 1, 4).then(() => undefined, (e: unknown) => e);
 * if ((error as { code?: string }).code !== "CA_ERR_FENCED") throw new Error("not fenced");
 * ```
 */
export function mariadbStore(
  pool: MariadbPool,
  options: MariadbStoreOptions = {},
): CheckpointStore {
  if (
    pool === null || typeof pool !== "object" ||
    typeof pool.query !== "function" ||
    typeof pool.getConnection !== "function"
  ) {
    throw new TypeError(
      `Cannot create MariaDB store: pool must be a mysql2/promise pool (createPool(url)), got ${
        describeValue(pool)
      }`,
    );
  }
  const tableName = options.table ?? DEFAULT_TABLE;
  if (
    typeof tableName !== "string" ||
    tableName.split(".").some((part) => part === "") ||
    tableName.split(".").length > 2
  ) {
    throw new TypeError(
      `Cannot create MariaDB store: table must be a name such as "checkpoints" or "database.checkpoints", got ${
        JSON.stringify(tableName)
      }`,
    );
  }
  const table = quoteName(tableName);
  const [schema, bare] = tableName.includes(".")
    ? tableName.split(".") as [string, string]
    : [null, tableName];
  const createTable = options.createTable ?? true;
  const storeSignal = options.signal;
  let closed = false;
  let ready: Promise<void> | undefined;

  function start(verb: string, id: string, callSignal?: AbortSignal) {
    const signal = beginStoreCall(verb, id, closed, storeSignal, callSignal);
    if (new TextEncoder().encode(id).length > MAX_ID_BYTES) {
      throw new RangeError(
        `Cannot ${verb} checkpoint of "${
          id.slice(0, 40)
        }...": the MariaDB store keeps ids of at most ${MAX_ID_BYTES} bytes (UTF-8)`,
      );
    }
    return signal;
  }

  const withConnection = <R>(
    signal: AbortSignal | undefined,
    fn: (connection: MariadbPoolConnection) => Promise<R>,
  ) => onConnection(pool, signal, fn);

  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  async function transaction<R>(
    connection: MariadbPoolConnection,
    fn: () => Promise<R>,
  ): Promise<R> {
    await connection.query("START TRANSACTION");
    try {
      const value = await fn();
      await connection.query("COMMIT");
      return value;
    } catch (error) {
      await connection.query("ROLLBACK").catch(() => {});
      throw error;
    }
  }

  async function ensureTable(signal: AbortSignal | undefined): Promise<void> {
    await withConnection(signal, async (connection) => {
      const [found] = await connection.query(
        `SELECT 1 AS present FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`,
        [schema, bare],
      );
      if ((found as unknown[]).length > 0) return;
      // Safe when several processes create it at once: the server takes a
      // metadata lock, and the losers find it there.
      await connection.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
          id VARBINARY(${MAX_ID_BYTES}) NOT NULL PRIMARY KEY,
          generation BIGINT NOT NULL,
          position LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
          updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
        ) ENGINE=InnoDB`,
      );
    });
  }

  /** Creates the table once; a call's own signal stops only its wait. */
  async function prepared(signal: AbortSignal | undefined): Promise<void> {
    if (!createTable) return;
    ready ??= ensureTable(storeSignal).catch((error) => {
      ready = undefined;
      throw error;
    });
    if (signal === undefined || signal === storeSignal) return await ready;
    const created = ready;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      created.then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  }

  async function read(
    connection: MariadbPoolConnection,
    id: string,
    lock: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    const [rows] = await connection.query(
      `SELECT CAST(generation AS CHAR) AS generation, position
       FROM ${table} WHERE id = ?${lock ? " FOR UPDATE" : ""}`,
      [id],
    );
    return (rows as Record<string, unknown>[])[0];
  }

  /**
   * Stores a position fenced by `generation`: an `UPDATE` that matches the
   * row only at that generation (matched, not changed: the same position
   * again is no fence), and when it matched none, the generation it found,
   * for the error.
   */
  async function fencedCommit(
    run: SqlQuery,
    id: string,
    json: string,
    generation: number,
  ): Promise<void> {
    const [result] = await run(
      `UPDATE ${table} SET position = ?, updated_at = CURRENT_TIMESTAMP(6)
       WHERE id = ? AND generation = ?`,
      [json, id, generation],
    );
    if (matched(result) > 0) return;
    const [row] = await run(
      `SELECT CAST(generation AS CHAR) AS generation FROM ${table} WHERE id = ?`,
      [id],
    ) as { generation?: unknown }[];
    throw new FencedError(
      id,
      generation,
      row === undefined ? 0 : generationOf(row.generation),
    );
  }

  const hook: SqlCheckpointHook = {
    dialect: "mariadb",
    client: pool,
    async commitIn(run, id, position, generation) {
      // The sink's transaction runs on the same pool: the table exists once
      // the pipeline has acquired its checkpoint.
      await fencedCommit(run, id, positionJson(id, position), generation);
    },
  };

  const store: CheckpointStore = {
    async get(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("read", id, options?.signal);
      await prepared(signal);
      const row = await withConnection(
        signal,
        (connection) => read(connection, id, false),
      );
      return {
        position: storedPosition(row?.position),
        generation: row === undefined ? 0 : generationOf(row.generation),
      };
    },

    async acquire(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("acquire", id, options?.signal);
      await prepared(signal);
      const row = await withConnection(
        signal,
        (connection) =>
          transaction(connection, async () => {
            await connection.query(
              `INSERT INTO ${table} (id, generation) VALUES (?, 1)
               ON DUPLICATE KEY UPDATE generation = generation + 1,
                 updated_at = CURRENT_TIMESTAMP(6)`,
              [id],
            );
            return await read(connection, id, true);
          }),
      );
      return {
        position: storedPosition(row?.position),
        generation: generationOf(row?.generation),
      };
    },

    async commit(
      id: string,
      position: Position,
      generation: number,
      options?: StoreCallOptions,
    ): Promise<void> {
      const call = beginCommit(start, id, position, options, generation);
      await prepared(call.signal);
      await withConnection(
        call.signal,
        (connection) =>
          fencedCommit(
            (text, values) =>
              connection.query(text, values).then(([result]) =>
                resultRows(result)
              ),
            id,
            call.json,
            generation,
          ),
      );
    },

    async delete(id: string, options?: StoreCallOptions): Promise<void> {
      const signal = start("delete", id, options?.signal);
      await prepared(signal);
      await withConnection(signal, async (connection) => {
        await connection.query(
          `UPDATE ${table}
           SET position = NULL, generation = generation + 1,
             updated_at = CURRENT_TIMESTAMP(6)
           WHERE id = ?`,
          [id],
        );
      });
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
  // An exactly-once mariadbSink on the same pool commits through it.
  Object.defineProperty(store, SQL_CHECKPOINT, { value: hook });
  return store;
}
