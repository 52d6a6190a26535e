// Copyright 2026 the @ca/streams authors. MIT license.

import type { StoreCallOptions } from "../../src/checkpoint/checkpoint_store.ts";
import {
  beginLeaseCall,
  checkAcquire,
  checkLease,
  checkLeases,
  checkPrefix,
  checkTtlMs,
} from "../../src/cluster/_check_lease.ts";
import type {
  Lease,
  LeaseEngine,
  LeaseInfo,
} from "../../src/cluster/lease_engine.ts";
import { importOptional } from "../runtime/import_optional.ts";
import type { PostgresSql } from "./postgres_store.ts";
import {
  cancellableQuery,
  checkClient,
  checkedTable,
  tableCreator,
} from "./_pg_table.ts";

/**
 * Options for {@linkcode postgresLeaseEngine}.
 *
 * @example A short ttl, in a schema of its own
 * ```ts
 * import type { PostgresLeaseEngineOptions } from "@ca/streams/postgres";
 *
 * const options: PostgresLeaseEngineOptions = { table: "ops.leases", ttlMs: 5_000 };
 * if (options.ttlMs !== 5_000) throw new Error("unexpected");
 * ```
 */
export interface PostgresLeaseEngineOptions {
  /**
   * The table, optionally schema-qualified (`"ops.leases"`); default
   * `"ca_leases"`. Each part is quoted as given, so it is case-sensitive
   * and may hold any character but a dot.
   */
  table?: string;
  /** How long a lease lives without renewal, in ms (default 10000). */
  ttlMs?: number;
  /**
   * Create the table on first use if it is missing (default `true`). Turn
   * off when the role may not create tables and the table is made by a
   * migration.
   */
  createTable?: boolean;
  /** Aborting it makes every call of the engine, pending or later, give up. */
  signal?: AbortSignal;
}

const DEFAULT_TABLE = "ca_leases";
const DEFAULT_TTL_MS = 10_000;

/** A `postgres` instance this engine made from a URL, and ends. */
type OwnClient = PostgresSql & {
  end(options: { timeout: number }): Promise<void>;
};

/** `%`, `_` and `\` as plain characters of a LIKE pattern (escape `\`). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, "\\$&")}%`;
}

/**
 * Creates a lease engine on a PostgreSQL table: one row per lease, `name
 * text COLLATE "C" PRIMARY KEY`, `holder text`, `token text`, `data text`,
 * `expires_at timestamptz`. The table is created on first use if missing,
 * safely when several hosts start at once.
 *
 * Expiry is judged by the database clock (`clock_timestamp()`), never the
 * caller's, so hosts with skewed clocks agree. Each call is one statement:
 *
 * - `acquire()` inserts the row, or takes over an expired one (`INSERT ...
 *   ON CONFLICT (name) DO UPDATE ... WHERE expires_at <= clock_timestamp()`);
 *   of concurrent acquires the row lock lets one through. Each grant gets
 *   a random token (`crypto.randomUUID()`).
 * - `renew()` updates every lease of the batch that is still the current,
 *   live grant (name, holder and token match) in one `UPDATE ... FROM
 *   jsonb_to_recordset(...)`, setting its data and expiry.
 * - `release()` deletes the row if it is still the grant.
 * - `list()` reads the live rows whose names start with the prefix.
 *
 * An expired row stays until its name is taken again (hosts and connectors
 * keep their names, so the table stays small). A call given up by `signal`
 * cancels its query on the server; it may still have happened if the
 * cancel came too late (an acquired lease then expires unrenewed).
 *
 * @param client A `postgres` (porsager) instance (`postgres(url)`), which
 * stays the caller's, or a `postgres://` URL: then the engine loads the
 * `postgres` package on first use, opens its own client (at most 2
 * connections) and ends it in `close()`.
 * @param options `table`, `ttlMs`, `createTable`, and a `signal` that stops
 * the whole engine.
 * @returns A {@linkcode LeaseEngine} backed by the table.
 * @throws {TypeError} When `client`, `table` or `ttlMs` is wrong.
 * @throws {RangeError} When `ttlMs` is not a whole number of ms from 1 to 2^31-1.
 *
 * @example Two hosts share one connector
 * ```ts ignore
 * import { postgresLeaseEngine } from "@ca/streams/postgres";
 *
 * const leases = postgresLeaseEngine("postgres://postgres@127.0.0.1:5432/test", {
 *   ttlMs: 10_000,
 * });
 * const lease = await leases.acquire("connector/orders", "host-a", '{"state":"starting"}');
 * if (lease !== undefined) {
 *   // run it, renewing every few seconds:
 *   const [renewed] = await leases.renew([{ ...lease, data: '{"state":"running"}' }]);
 *   if (renewed === undefined) console.log("lost it: stop the connector");
 * }
 * console.log(await leases.list("connector/"));
 * await leases.close();
 * ```
 *
 * @example A stand-in `sql`, as a unit test injects one
 * ```ts
 * import { postgresLeaseEngine } from "@ca/streams/postgres";
 * import type { PostgresSql } from "@ca/streams/postgres";
 *
 * const queries: string[] = [];
 * const sql: PostgresSql = {
 *   unsafe(query) {
 *     queries.push(query.trim().split(/\s+/)[0]!);
 *     return Object.assign(Promise.resolve([]), { cancel() {} }); // no rows
 *   },
 * };
 * const leases = postgresLeaseEngine(sql, { createTable: false });
 * if ((await leases.acquire("connector/orders", "host-a", "{}")) !== undefined) {
 *   throw new Error("no row came back: someone else holds it");
 * }
 * if (queries.join() !== "INSERT") throw new Error(`unexpected ${queries}`);
 * ```
 */
export function postgresLeaseEngine(
  client: PostgresSql | string,
  options: PostgresLeaseEngineOptions = {},
): LeaseEngine {
  const where = "PostgreSQL lease engine";
  checkClient(client, where);
  const table = checkedTable(options.table ?? DEFAULT_TABLE, where, "leases");
  const ttlMs = checkTtlMs(options.ttlMs, where, DEFAULT_TTL_MS);
  const createTable = options.createTable ?? true;
  const engineSignal = options.signal;
  const url = typeof client === "string" ? client : undefined;
  let own: Promise<OwnClient> | undefined;
  let closed = false;
  const pending = new Set<Promise<unknown>>();

  function sql(): PostgresSql | Promise<PostgresSql> {
    if (url === undefined) return client as PostgresSql;
    own ??= importOptional(
      () => import("postgres"),
      "postgres",
      "open the PostgreSQL lease engine",
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
    `name text COLLATE "C" PRIMARY KEY,
     holder text NOT NULL,
     token text NOT NULL,
     data text NOT NULL,
     expires_at timestamptz NOT NULL`,
    engineSignal,
  );
  /** Creates the table once, unless told not to. */
  const prepared = (signal: AbortSignal | undefined) =>
    createTable ? create(signal) : Promise.resolve();
  /** `ttlMs` from now on the database clock ($n is the ttl). */
  const expiry = (n: number) =>
    `clock_timestamp() + $${n}::integer * interval '1 millisecond'`;

  /** Runs a call, tracked so that `close()` waits for it. */
  function tracked<T>(
    doing: string,
    callSignal: AbortSignal | undefined,
    check: () => void,
    body: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    let signal: AbortSignal | undefined;
    try {
      signal = beginLeaseCall(doing, closed, engineSignal, callSignal);
      check();
    } catch (error) {
      return Promise.reject(error);
    }
    const call = body(signal);
    pending.add(call);
    const forget = () => pending.delete(call);
    call.then(forget, forget);
    return call;
  }

  return {
    ttlMs,

    acquire(
      name: string,
      holder: string,
      data: string,
      callOptions?: StoreCallOptions,
    ): Promise<Lease | undefined> {
      return tracked(
        `acquire lease "${name}"`,
        callOptions?.signal,
        () => checkAcquire(name, holder, data),
        async (signal) => {
          await prepared(signal);
          const token = crypto.randomUUID();
          // A row that exists and is live keeps its holder: no row returns.
          // Of concurrent inserts, one creates the row; the others wait for
          // it, then find it live.
          const rows = await query(
            `INSERT INTO ${table} AS l (name, holder, token, data, expires_at)
             VALUES ($1, $2, $3, $4, ${expiry(5)})
             ON CONFLICT (name) DO UPDATE
               SET holder = excluded.holder, token = excluded.token,
                 data = excluded.data, expires_at = ${expiry(5)}
               WHERE l.expires_at <= clock_timestamp()
             RETURNING l.token`,
            [name, holder, token, data, ttlMs],
            signal,
          );
          return rows.length === 0 ? undefined : { name, holder, token, data };
        },
      );
    },

    renew(
      leases: readonly Lease[],
      callOptions?: StoreCallOptions,
    ): Promise<(Lease | undefined)[]> {
      return tracked(
        "renew leases",
        callOptions?.signal,
        () => checkLeases(leases),
        async (signal) => {
          if (leases.length === 0) return [];
          await prepared(signal);
          const batch = leases.map(({ name, holder, token, data }) => ({
            name,
            holder,
            token,
            data,
          }));
          // One statement for the whole batch: each row that is still the
          // live grant gets its data and a new expiry.
          const rows = await query(
            `UPDATE ${table} AS l
             SET data = r.data, expires_at = ${expiry(2)}
             FROM jsonb_to_recordset($1::text::jsonb)
               AS r(name text, holder text, token text, data text)
             WHERE l.name = r.name AND l.holder = r.holder
               AND l.token = r.token AND l.expires_at > clock_timestamp()
             RETURNING l.name, l.holder, l.token`,
            [JSON.stringify(batch), ttlMs],
            signal,
          ) as { name: string; holder: string; token: string }[];
          const grant = (lease: Omit<Lease, "data">) =>
            JSON.stringify([lease.name, lease.holder, lease.token]);
          const renewed = new Set(rows.map(grant));
          return batch.map((lease) =>
            renewed.has(grant(lease)) ? lease : undefined
          );
        },
      );
    },

    release(lease: Lease, callOptions?: StoreCallOptions): Promise<void> {
      return tracked(
        `release lease "${lease?.name}"`,
        callOptions?.signal,
        () => checkLease(lease, "release"),
        async (signal) => {
          await prepared(signal);
          await query(
            `DELETE FROM ${table}
             WHERE name = $1 AND holder = $2 AND token = $3`,
            [lease.name, lease.holder, lease.token],
            signal,
          );
        },
      );
    },

    list(prefix: string, callOptions?: StoreCallOptions): Promise<LeaseInfo[]> {
      return tracked(
        "list leases",
        callOptions?.signal,
        () => checkPrefix(prefix),
        async (signal) => {
          await prepared(signal);
          const rows = await query(
            `SELECT name, holder, data FROM ${table}
             WHERE name LIKE $1 ESCAPE '\\' AND expires_at > clock_timestamp()
             ORDER BY name COLLATE "C"`,
            [likePrefix(prefix)],
            signal,
          ) as LeaseInfo[];
          return rows.map(({ name, holder, data }) => ({ name, holder, data }));
        },
      );
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
