// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * MariaDB (and MySQL) connectors, on the `mysql2` package (an optional peer
 * dependency, loaded on first use):
 *
 * - {@linkcode mariadbSink}: records as rows, one multi-row `INSERT` per
 *   batch, `insert` or `upsert` (`ON DUPLICATE KEY UPDATE`); a record that
 *   does not fit is a {@linkcode SqlRecordError} naming it and its column,
 *   and goes to the pipeline's dead letter while the rest of its batch is
 *   stored;
 * - {@linkcode mariadbStore}: a checkpoint store in an InnoDB table, one row
 *   per pipeline id, fenced by its generation across processes.
 *
 * ```ts ignore
 * import mysql from "mysql2/promise";
 * import { pipeline, resumableSource } from "@ca/streams";
 * import { mariadbSink, mariadbStore } from "@ca/streams/mariadb";
 *
 * // CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10, 2))
 * const pool = mysql.createPool("mysql://root@127.0.0.1:3306/test");
 * const orders = resumableSource<{ id: number; total: number }>({
 *   async *open(after) {
 *     const start = after === undefined ? 0 : Number(after) + 1;
 *     for (let id = start; id < 100; id++) yield { records: [{ id, total: id / 4 }], position: id };
 *   },
 * });
 * await pipeline(orders, mariadbSink({ pool, table: "orders", mode: "upsert", key: "id" }), {
 *   id: "orders",
 *   checkpoint: { store: mariadbStore(pool) }, // the position beside the rows
 * });
 * await pool.end();
 * ```
 *
 * @module
 */

export * from "./mariadb_sink.ts";
export * from "./mariadb_store.ts";
export * from "./mariadb_pool.ts";
export * from "../postgres/sql_record_error.ts";
export * from "../postgres/sql_table_error.ts";
export * from "../postgres/exactly_once_error.ts";
