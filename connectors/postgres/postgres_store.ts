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
import { cancellableQuery, quoteTableName, tableCreator } from "./_pg_table.ts";
import {
  SQL_CHECKPOINT,
  type SqlCheckpointHook,
  type SqlQuery,
} from "./_sql_checkpoint_hook.ts";

/**
 * A query of the `postgres` package: a promise of rows that can be cancelled.
 *
 * @example A call given up by its signal cancels the query
 * ```ts
 * import { postgresStore } from "@ca/streams/postgres";
 * import type { PostgresQuery } from "@ca/streams/postgres";
 *
 * let cancelled = false;
 * const stuck: PostgresQuery = Object.assign(new Promise<readonly object[]>(() => {}), {
 *   cancel() {
 *     cancelled = true;
 *   },
 * });
 * const sent = Promise.withResolvers<void>();
 * const sql = { // a stand-in for postgres(url) whose server never answers
 *   unsafe() {
 *     sent.resolve();
 *     return stuck;
 *   },
 * };
 * const controller = new AbortController();
 * const reading = postgresStore(sql, { createTable: false })
 *   .get("orders", { signal: controller.signal });
 * await sent.promise;
 * controller.abort(new Error("too slow"));
 * const error = await reading.then(() => undefined, (e: unknown) => e);
 * if (!cancelled || error !== controller.signal.reason) throw new Error("unexpected");
 * ```
 */
export interface PostgresQuery extends PromiseLike<readonly object[]> {
  /** Asks the server to cancel the query. */
  cancel(): unknown;
}

/**
 * The one method of a `postgres` (porsager) `sql` instance the store uses:
 * `sql.unsafe(text, parameters)`, a parameterised query (values are sent
 * apart from the text, never spliced into it).
 *
 * @example A stand-in `sql`, as a unit test injects one
 * ```ts
 * import { postgresStore } from "@ca/streams/postgres";
 * import type { PostgresSql } from "@ca/streams/postgres";
 *
 * const queries: string[] = [];
 * const sql: PostgresSql = {
 *   unsafe(query, parameters) {
 *     queries.push(`${query.split(/\s+/)[0]} ${JSON.stringify(parameters)}`);
 *     return Object.assign(Promise.resolve([]), { cancel() {} }); // no rows
 *   },
 * };
 * const { generation } = await postgresStore(sql, { createTable: false }).get("orders");
 * if (generation !== 0 || queries.join() !== 'SELECT ["orders"]') {
 *   throw new Error(`unexpected ${queries}`);
 * }
 * ```
 */
export interface PostgresSql {
  /** Runs `query` with `$1`, `$2`... bound to `parameters`. */
  unsafe(query: string, parameters?: (string | number | null)[]): PostgresQuery;
}

/**
 * Options for {@linkcode postgresStore}.
 *
 * @example A table made by a migration, in a schema of its own
 * ```ts
 * import { postgresStore } from "@ca/streams/postgres";
 * import type { PostgresStoreOptions } from "@ca/streams/postgres";
 *
 * const queries: string[] = [];
 * const sql = { // a stand-in for postgres(url)
 *   unsafe(query: string) {
 *     queries.push(query);
 *     return Object.assign(Promise.resolve([]), { cancel() {} });
 *   },
 * };
 * const options: PostgresStoreOptions = { table: "etl.checkpoints", createTable: false };
 * await postgresStore(sql, options).get("orders");
 * if (queries.length !== 1 || !queries[0]!.includes('FROM "etl"."checkpoints"')) {
 *   throw new Error(`unexpected ${queries}`);
 * }
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * The table, optionally schema-qualified (`"etl.checkpoints"`); default
   * `"ca_checkpoints"`. Each part is quoted as given, so it is
   * case-sensitive and may hold any character but a dot.
   */
  table?: string;
  /**
   * Create the table on first use if it is missing (default `true`). Turn
   * off when the role may not create tables and the table is made by a
   * migration.
   */
  createTable?: boolean;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

const generationOf = (value: unknown) => storedGeneration(value, "PostgreSQL");

const DEFAULT_TABLE = "ca_checkpoints";

/** The first row of a result, `undefined` for none. */
function first(rows: readonly object[]): Record<string, unknown> | undefined {
  return rows[0] as Record<string, unknown> | undefined;
}

/**
 * Creates a checkpoint store in a PostgreSQL table, through a `sql`
 * instance of the `postgres` package (porsager), which stays the caller's.
 *
 * One row per pipeline id: `id text primary key`, `generation bigint`,
 * `position jsonb`, `updated_at timestamptz`. The table is created on first
 * use if missing, safely when several processes start at once. `acquire()`
 * is one `INSERT ... ON CONFLICT DO UPDATE SET generation = generation + 1
 * RETURNING`; `commit()` one `UPDATE ... WHERE generation = $gen`; so
 * fencing holds across any number of processes, and a commit is durable
 * when it resolves (the server's `synchronous_commit`).
 *
 * Positions are stored as `jsonb`: they read back equal, but the keys of an
 * object come back in `jsonb` order (shorter keys first). Ids may not
 * contain the NUL character (PostgreSQL text cannot). A call given up by
 * `signal` cancels its query on the server; a commit may still have
 * happened if the cancel came too late.
 *
 * @param sql A `postgres` instance (`postgres(url)`).
 * @param options `table`, `createTable`, and a `signal` that stops the whole store.
 * @returns A {@linkcode CheckpointStore} backed by the table.
 *
 * @example Keep checkpoints beside the data
 * ```ts ignore
 * import postgres from "postgres";
 * import { postgresStore } from "@ca/streams/postgres";
 *
 * const sql = postgres("postgres://postgres@127.0.0.1:5432/test");
 * const store = postgresStore(sql, { table: "etl_checkpoints" });
 * const { position, generation } = await store.acquire("orders");
 * console.log("resume after", position);
 * await store.commit("orders", { lsn: "0/16B3748" }, generation);
 * await sql.end();
 * ```
 */
export function postgresStore(
  sql: PostgresSql,
  options: PostgresStoreOptions = {},
): CheckpointStore {
  if (
    typeof sql !== "function" && (typeof sql !== "object" || sql === null) ||
    typeof sql.unsafe !== "function"
  ) {
    throw new TypeError(
      "Cannot create PostgreSQL store: sql must be an instance of the postgres package (postgres(url))",
    );
  }
  const tableName = options.table ?? DEFAULT_TABLE;
  if (
    typeof tableName !== "string" ||
    tableName.split(".").some((part) => part === "")
  ) {
    throw new TypeError(
      `Cannot create PostgreSQL store: table must be a name such as "checkpoints" or "schema.checkpoints", got ${
        JSON.stringify(tableName)
      }`,
    );
  }
  const table = quoteTableName(tableName);
  const createTable = options.createTable ?? true;
  const storeSignal = options.signal;
  let closed = false;

  function start(verb: string, id: string, callSignal?: AbortSignal) {
    return beginStoreCall(verb, id, closed, storeSignal, callSignal);
  }

  const query = (
    text: string,
    parameters: (string | number | null)[],
    signal: AbortSignal | undefined,
  ) => cancellableQuery(sql, text, parameters, signal);
  const create = tableCreator(
    query,
    table,
    `id text PRIMARY KEY,
     generation bigint NOT NULL,
     position jsonb,
     updated_at timestamptz NOT NULL DEFAULT now()`,
    storeSignal,
  );
  /** Creates the table once, unless told not to. */
  const prepared = (signal: AbortSignal | undefined) =>
    createTable ? create(signal) : Promise.resolve();

  /**
   * Stores a position fenced by `generation`, in one statement: the
   * update, and the generation it found when it did not match (read from
   * the same snapshot).
   */
  async function fencedCommit(
    run: SqlQuery,
    id: string,
    json: string,
    generation: number,
  ): Promise<void> {
    const row = first(
      await run(
        `WITH updated AS (
           UPDATE ${table} SET position = $2::text::jsonb, updated_at = now()
           WHERE id = $1 AND generation = $3::bigint
           RETURNING 1
         )
         SELECT EXISTS (SELECT 1 FROM updated) AS committed,
           (SELECT generation::text FROM ${table} WHERE id = $1) AS current`,
        [id, json, generation],
      ),
    ) as { committed: boolean; current: string | null };
    if (!row.committed) {
      throw new FencedError(
        id,
        generation,
        row.current === null ? 0 : generationOf(row.current),
      );
    }
  }

  const hook: SqlCheckpointHook = {
    dialect: "postgres",
    client: sql,
    async commitIn(run, id, position, generation) {
      // The sink's transaction runs on the same client: the table exists
      // once the pipeline has acquired its checkpoint.
      await fencedCommit(run, id, positionJson(id, position), generation);
    },
  };

  const store: CheckpointStore = {
    async get(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("read", id, options?.signal);
      await prepared(signal);
      const row = first(
        await query(
          `SELECT generation::text AS generation, position::text AS position
           FROM ${table} WHERE id = $1`,
          [id],
          signal,
        ),
      );
      return {
        position: storedPosition(row?.position),
        generation: row === undefined ? 0 : generationOf(row.generation),
      };
    },

    async acquire(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("acquire", id, options?.signal);
      await prepared(signal);
      const row = first(
        await query(
          `INSERT INTO ${table} AS t (id, generation) VALUES ($1, 1)
           ON CONFLICT (id) DO UPDATE
             SET generation = t.generation + 1, updated_at = now()
           RETURNING t.generation::text AS generation,
             t.position::text AS position`,
          [id],
          signal,
        ),
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
      await fencedCommit(
        (text, parameters) => query(text, parameters, call.signal),
        id,
        call.json,
        generation,
      );
    },

    async delete(id: string, options?: StoreCallOptions): Promise<void> {
      const signal = start("delete", id, options?.signal);
      await prepared(signal);
      await query(
        `UPDATE ${table}
         SET position = NULL, generation = generation + 1, updated_at = now()
         WHERE id = $1`,
        [id],
        signal,
      );
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
  // An exactly-once postgresSink on the same client commits through it.
  Object.defineProperty(store, SQL_CHECKPOINT, { value: hook });
  return store;
}
