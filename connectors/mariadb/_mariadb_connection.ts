// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// A connection of its own for one call of the MariaDB store or sink, given
// up by a signal. Not part of the public API.

import type { MariadbPool, MariadbPoolConnection } from "./mariadb_pool.ts";

/**
 * Runs `fn` on a connection of its own from `pool`, given back after. When
 * `signal` aborts, rejects with its reason at once, stops the statement on
 * the server (`KILL QUERY`) and then drops the connection, so that a
 * transaction in it rolls back and the kill cannot land in someone else's
 * statement. A connection that failed is dropped too, not given back.
 * `dropping` gets each such kill-and-drop while it is under way: end the
 * pool only after them (ending a pool while one of its connections is
 * being destroyed can wait forever).
 */
export async function withConnection<R>(
  pool: MariadbPool,
  signal: AbortSignal | undefined,
  fn: (connection: MariadbPoolConnection) => Promise<R>,
  dropping?: Set<Promise<void>>,
): Promise<R> {
  signal?.throwIfAborted();
  const taking = pool.getConnection();
  const connection = signal === undefined ? await taking : await new Promise<
    MariadbPoolConnection
  >((resolve, reject) => {
    // A pool with every connection busy makes this wait: give up on abort,
    // and give back the connection that comes later.
    const onAbort = () => {
      reject(signal.reason);
      taking.then((late) => late.release(), () => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    taking.then((taken) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) taken.release();
      else resolve(taken);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
  return await new Promise<R>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(signal!.reason);
      const drop: Promise<void> = pool.query(
        `KILL QUERY ${Number(connection.threadId)}`,
      ).then(() => {}, () => {}).finally(() => {
        connection.destroy();
        dropping?.delete(drop);
      });
      dropping?.add(drop);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    fn(connection).then((value) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      connection.release();
      resolve(value);
    }, (error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (isConnectionError(error)) connection.destroy();
      else connection.release();
      reject(error);
    });
  });
}

/** An error after which the connection is of no more use. */
export function isConnectionError(error: unknown): boolean {
  const { code, fatal } = (error ?? {}) as { code?: unknown; fatal?: unknown };
  return fatal === true ||
    (typeof code === "string" &&
      /^(E[A-Z]+|PROTOCOL_.*)$/.test(code));
}

/**
 * Ends a pool the connector opened, waiting at most 5 s: mysql2 can wait
 * forever for a connection destroyed while the pool ends.
 */
export async function endPool(pool: { end(): Promise<void> }): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    pool.end().catch(() => {}),
    new Promise<void>((resolve) => timer = setTimeout(resolve, 5000)),
  ]);
  clearTimeout(timer);
}

/**
 * A statement's result as the `SqlQuery` of an exactly-once sink gives it:
 * the rows of a `SELECT`, or for another statement its result
 * (`affectedRows`, `info`) as the one element.
 */
export function resultRows(result: unknown): readonly object[] {
  return Array.isArray(result) ? result : [result as object];
}
