// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connection taken from a {@linkcode MariadbPool}: what
 * `pool.getConnection()` of `mysql2/promise` resolves to.
 *
 * @example A stand-in connection that answers every query with no rows
 * ```ts
 * import type { MariadbPoolConnection } from "@ca/streams/mariadb";
 *
 * let released = false;
 * const connection: MariadbPoolConnection = {
 *   threadId: 7,
 *   query: async () => [[], []],
 *   release: () => void (released = true),
 *   destroy() {},
 * };
 * await connection.query("SELECT 1");
 * connection.release();
 * if (!released) throw new Error("unexpected");
 * ```
 */
export interface MariadbPoolConnection {
  /** The server's id of the connection, for `KILL QUERY`. */
  readonly threadId: number | null;
  /** Runs `sql` with `?` bound to `values`; resolves to `[rows or result, fields]`. */
  query(sql: string, values?: unknown[]): Promise<readonly [unknown, unknown]>;
  /** Gives the connection back to the pool. */
  release(): void;
  /** Closes the connection instead of giving it back. */
  destroy(): void;
}

/**
 * A `mysql2/promise` pool (`createPool(url)`), as the MariaDB sink and
 * store use it: queries, escaping, and connections of their own for
 * transactions. It stays the caller's: they never end it. Give it the
 * default row options (objects, not `rowsAsArray`).
 *
 * @example A stand-in pool whose queries are recorded
 * ```ts
 * import type { MariadbPool } from "@ca/streams/mariadb";
 *
 * const sent: string[] = [];
 * const pool: MariadbPool = {
 *   query: async (sql) => {
 *     sent.push(sql);
 *     return [[], []];
 *   },
 *   escape: (value) => `'${String(value).replaceAll("'", "''")}'`,
 *   getConnection: () => Promise.reject(new Error("not in this example")),
 * };
 * await pool.query(`SELECT ${pool.escape("it's")}`);
 * if (sent[0] !== "SELECT 'it''s'") throw new Error(`unexpected ${sent[0]}`);
 * ```
 */
export interface MariadbPool {
  /** Runs `sql` with `?` bound to `values`; resolves to `[rows or result, fields]`. */
  query(sql: string, values?: unknown[]): Promise<readonly [unknown, unknown]>;
  /** A value as a SQL literal, escaped for the connection's character set. */
  escape(value: unknown): string;
  /** A connection of the caller's own until released. */
  getConnection(): Promise<MariadbPoolConnection>;
}
