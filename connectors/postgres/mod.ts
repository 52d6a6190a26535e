// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Everything PostgreSQL, on the `postgres` package (porsager, an optional
 * peer dependency, loaded on first use):
 *
 * - {@linkcode postgresStore}: a checkpoint store in a table, fenced by a
 *   conditional `UPDATE`, so it holds across processes;
 * - {@linkcode postgresSink}: records as rows, one statement per batch,
 *   `insert` or `upsert` by key; a record that does not fit is a
 *   {@linkcode SqlRecordError} naming it and its column, and goes to the
 *   pipeline's dead letter while the rest of its batch is stored;
 * - {@linkcode postgresChangeSource}: change data capture through logical
 *   replication (`pgoutput`) on a persistent slot: whole transactions in
 *   commit order, the slot confirmed only past what the sink stored; with
 *   {@linkcode dropPostgresChangeSlot} and {@linkcode postgresChangeSlotStatus}
 *   (the WAL the slot retains).
 *
 * `@ca/streams/postgres-store`, the 0.1 subpath, stays an alias of this one
 * until 1.0.
 *
 * ```ts ignore
 * import postgres from "postgres";
 * import { map, pipeline } from "@ca/streams";
 * import { postgresChangeSource, postgresSink, postgresStore } from "@ca/streams/postgres";
 *
 * // Orders changed in one database, copied as rows into another's table.
 * const sql = postgres("postgres://postgres@127.0.0.1:5432/test");
 * await pipeline(
 *   postgresChangeSource({
 *     url: "postgres://postgres@127.0.0.1:5433/shop", // wal_level = logical
 *     slot: "orders_copy",
 *     tables: ["public.orders"],
 *   }),
 *   map((change) => ({ ...change.after, op: change.op, lsn: change.lsn })),
 *   postgresSink({ sql, table: "order_changes" }),
 *   { id: "orders-copy", checkpoint: { store: postgresStore(sql) } },
 * );
 * ```
 *
 * @module
 */

export * from "./postgres_store.ts";
export * from "./postgres_sink.ts";
export * from "./sql_record_error.ts";
export * from "./sql_table_error.ts";
export * from "./exactly_once_error.ts";
export * from "./postgres_change_source.ts";
export * from "./postgres_table_source.ts";
export * from "./postgres_change.ts";
export * from "./postgres_change_error.ts";
export * from "./postgres_change_slot_options.ts";
export * from "./postgres_change_slot_status.ts";
export * from "./drop_postgres_change_slot.ts";
export * from "./postgres_definition_store.ts";
export * from "./postgres_lease_engine.ts";
