// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A checkpoint store in a PostgreSQL table, on the `postgres` package
 * (porsager, an optional peer dependency). Pass in your `sql` instance;
 * the table is created on first use, and fencing is a conditional
 * `UPDATE`, so it holds across processes.
 *
 * `@ca/streams/postgres` is the folder of everything PostgreSQL; the 0.1
 * subpath `@ca/streams/postgres-store` stays an alias of it until 1.0.
 *
 * ```ts ignore
 * import postgres from "postgres";
 * import { collect, pipeline, resumableSource } from "@ca/streams";
 * import { postgresStore } from "@ca/streams/postgres";
 *
 * const sql = postgres("postgres://postgres@127.0.0.1:5432/test");
 * const source = resumableSource<number>({
 *   async *open(after) {
 *     const start = after === undefined ? 0 : Number(after) + 1;
 *     for (let n = start; n < 5; n++) yield { records: [n], position: n };
 *   },
 * });
 * await pipeline(source, collect<number>(), {
 *   id: "numbers",
 *   checkpoint: { store: postgresStore(sql) },
 * });
 * await sql.end();
 * ```
 *
 * @module
 */

export * from "./postgres_store.ts";
