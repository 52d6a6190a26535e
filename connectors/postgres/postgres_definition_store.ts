// Copyright 2026 the @ca/streams authors. MIT license.

import type { StoreCallOptions } from "../../src/checkpoint/checkpoint_store.ts";
import {
  beginDefinitionCall,
  byConnector,
  checkConnectorId,
} from "../../src/definition_store/begin_definition_call.ts";
import type { DefinitionEvent } from "../../src/definition_store/definition_event.ts";
import type { DefinitionStore } from "../../src/definition_store/definition_store.ts";
import type { DefinitionStreamInfo } from "../../src/definition_store/definition_stream_info.ts";
import {
  encodeDefinitionEvents,
  storedEvent,
} from "../../src/definition_store/encode_definition_events.ts";
import type { StoredDefinitionEvent } from "../../src/definition_store/stored_definition_event.ts";
import { WrongExpectedVersionError } from "../../src/definition_store/wrong_expected_version_error.ts";
import { importOptional } from "../runtime/import_optional.ts";
import type { PostgresSql } from "./postgres_store.ts";
import {
  cancellableQuery,
  checkClient,
  checkedTable,
  tableCreator,
} from "./_pg_table.ts";

/**
 * Options for {@linkcode postgresDefinitionStore}.
 *
 * @example A table made by a migration, in a schema of its own
 * ```ts
 * import { postgresDefinitionStore } from "@ca/streams/postgres";
 * import type { PostgresDefinitionStoreOptions } from "@ca/streams/postgres";
 *
 * const queries: string[] = [];
 * const sql = { // a stand-in for postgres(url)
 *   unsafe(query: string) {
 *     queries.push(query);
 *     return Object.assign(Promise.resolve([]), { cancel() {} });
 *   },
 * };
 * const options: PostgresDefinitionStoreOptions = { table: "ops.connectors", createTable: false };
 * await postgresDefinitionStore(sql, options).list();
 * if (queries.length !== 1 || !queries[0]!.includes('FROM "ops"."connectors"')) {
 *   throw new Error(`unexpected ${queries}`);
 * }
 * ```
 */
export interface PostgresDefinitionStoreOptions {
  /**
   * The table, optionally schema-qualified (`"ops.connectors"`); default
   * `"ca_definitions"`. Each part is quoted as given, so it is
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

const DEFAULT_TABLE = "ca_definitions";
/** unique_violation: the primary key refused a version another append took. */
const UNIQUE_VIOLATION = "23505";

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return code === undefined ? undefined : String(code);
}

/** A `postgres` instance this store made from a URL, and ends. */
type OwnClient = PostgresSql & {
  end(options: { timeout: number }): Promise<void>;
};

/**
 * Creates a definition store in a PostgreSQL table: one row per event,
 * `connector text`, `version integer`, `type text`, `at timestamptz`,
 * `data jsonb`, with `primary key (connector, version)`. The table is
 * created on first use if missing, safely when several hosts start at once.
 *
 * An append is one statement: it inserts its events at the versions after
 * `expectedVersion` only if the stream's highest version is
 * `expectedVersion`. Two appends at the same version, from any number of
 * hosts, both find it so, but the primary key lets only one insert: the
 * other fails and gets a {@linkcode WrongExpectedVersionError} naming the
 * version the stream is at. An append is atomic and durable when it
 * resolves (the server's `synchronous_commit`).
 *
 * `data` is `jsonb`: it reads back equal, but the keys of an object come
 * back in `jsonb` order (shorter keys first). A call given up by `signal`
 * cancels its query on the server; an append may still have happened if
 * the cancel came too late.
 *
 * @param client A `postgres` (porsager) instance (`postgres(url)`), which
 * stays the caller's, or a `postgres://` URL: then the store loads the
 * `postgres` package on first use, opens its own client (at most 2
 * connections) and ends it in `close()`.
 * @param options `table`, `createTable`, and a `signal` that stops the whole store.
 * @returns A {@linkcode DefinitionStore} backed by the table.
 *
 * @example Keep a host's connectors in PostgreSQL
 * ```ts ignore
 * import { postgresDefinitionStore } from "@ca/streams/postgres";
 *
 * const store = postgresDefinitionStore("postgres://postgres@127.0.0.1:5432/test", {
 *   table: "host_definitions",
 * });
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 * ], 0);
 * console.log(await store.list()); // [{ connector: "orders", version: 1, deleted: false }]
 * await store.close();
 * ```
 */
export function postgresDefinitionStore(
  client: PostgresSql | string,
  options: PostgresDefinitionStoreOptions = {},
): DefinitionStore {
  const where = "PostgreSQL definition store";
  checkClient(client, where);
  const table = checkedTable(
    options.table ?? DEFAULT_TABLE,
    where,
    "definitions",
  );
  const createTable = options.createTable ?? true;
  const storeSignal = options.signal;
  const url = typeof client === "string" ? client : undefined;
  let own: Promise<OwnClient> | undefined;
  let closed = false;
  const pending = new Set<Promise<unknown>>();

  function sql(): PostgresSql | Promise<PostgresSql> {
    if (url === undefined) return client as PostgresSql;
    own ??= importOptional(
      () => import("postgres"),
      "postgres",
      "open the PostgreSQL definition store",
    ).then(({ default: postgres }) =>
      postgres(url, { max: 2, onnotice: () => {} }) as unknown as OwnClient
    );
    own.catch(() => own = undefined);
    return own;
  }

  const query = (
    text: string,
    parameters: (string | number | null)[],
    signal: AbortSignal | undefined,
  ) => cancellableQuery(sql(), text, parameters, signal);
  const create = tableCreator(
    query,
    table,
    `connector text NOT NULL,
     version integer NOT NULL CHECK (version > 0),
     type text NOT NULL,
     at timestamptz NOT NULL,
     data jsonb NOT NULL,
     PRIMARY KEY (connector, version)`,
    storeSignal,
  );
  /** Creates the table once, unless told not to. */
  const prepared = (signal: AbortSignal | undefined) =>
    createTable ? create(signal) : Promise.resolve();

  /** Runs a call, tracked so that `close()` waits for it. */
  function tracked<T>(
    doing: string,
    callSignal: AbortSignal | undefined,
    body: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    let signal: AbortSignal | undefined;
    try {
      signal = beginDefinitionCall(doing, closed, storeSignal, callSignal);
    } catch (error) {
      return Promise.reject(error);
    }
    const call = body(signal);
    pending.add(call);
    const forget = () => pending.delete(call);
    call.then(forget, forget);
    return call;
  }

  async function currentVersion(
    connector: string,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const [row] = await query(
      `SELECT coalesce(max(version), 0) AS version FROM ${table}
       WHERE connector = $1`,
      [connector],
      signal,
    ) as { version: number }[];
    return Number(row!.version);
  }

  return {
    append(
      connector: string,
      events: readonly DefinitionEvent[],
      expectedVersion: number,
      callOptions?: StoreCallOptions,
    ): Promise<number> {
      let encoded: string[];
      try {
        encoded = encodeDefinitionEvents(connector, events, expectedVersion);
      } catch (error) {
        return Promise.reject(error);
      }
      return tracked(
        `append to connector "${connector}"`,
        callOptions?.signal,
        async (signal) => {
          await prepared(signal);
          let row: { inserted: number; current: number };
          try {
            // One statement: the current version and the insert see one
            // snapshot; of concurrent inserts at the same versions, the
            // primary key lets one through.
            [row] = await query(
              `WITH current AS (
                 SELECT coalesce(max(version), 0) AS version FROM ${table}
                 WHERE connector = $1
               ), inserted AS (
                 INSERT INTO ${table} (connector, version, type, at, data)
                 SELECT $1, $3::integer + e.n::integer, e.event->>'type',
                   (e.event->>'at')::timestamptz, e.event->'data'
                 FROM jsonb_array_elements($2::text::jsonb)
                   WITH ORDINALITY AS e(event, n), current
                 WHERE current.version = $3::integer
                 RETURNING 1
               )
               SELECT (SELECT count(*) FROM inserted)::integer AS inserted,
                 (SELECT version FROM current) AS current`,
              [connector, `[${encoded.join(",")}]`, expectedVersion],
              signal,
            ) as { inserted: number; current: number }[];
          } catch (error) {
            if (errorCode(error) !== UNIQUE_VIOLATION) throw error;
            throw new WrongExpectedVersionError(
              connector,
              expectedVersion,
              await currentVersion(connector, signal),
            );
          }
          if (Number(row!.inserted) !== encoded.length) {
            throw new WrongExpectedVersionError(
              connector,
              expectedVersion,
              Number(row!.current),
            );
          }
          return expectedVersion + encoded.length;
        },
      );
    },

    read(
      connector: string,
      callOptions?: StoreCallOptions,
    ): Promise<StoredDefinitionEvent[]> {
      return tracked(
        `read connector "${connector}"`,
        callOptions?.signal,
        async (signal) => {
          checkConnectorId(connector, "read");
          await prepared(signal);
          const rows = await query(
            `SELECT version, type,
               to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
               data::text AS data
             FROM ${table} WHERE connector = $1 ORDER BY version`,
            [connector],
            signal,
          ) as { version: number; type: string; at: string; data: string }[];
          return rows.map((row) =>
            storedEvent(
              {
                type: row.type,
                connector,
                at: row.at,
                data: JSON.parse(row.data),
              },
              Number(row.version),
            )
          );
        },
      );
    },

    list(callOptions?: StoreCallOptions): Promise<DefinitionStreamInfo[]> {
      return tracked("list connectors", callOptions?.signal, async (signal) => {
        await prepared(signal);
        const rows = await query(
          `SELECT DISTINCT ON (connector) connector, version, type
           FROM ${table} ORDER BY connector, version DESC`,
          [],
          signal,
        ) as { connector: string; version: number; type: string }[];
        return byConnector(rows.map((row) => ({
          connector: row.connector,
          version: Number(row.version),
          deleted: row.type === "deleted",
        })));
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...pending]);
      const opened = await own?.catch(() => undefined);
      own = undefined;
      await opened?.end({ timeout: 5 });
    },
  };
}
