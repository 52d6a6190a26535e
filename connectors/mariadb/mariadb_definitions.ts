// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { ownedStore } from "../../src/checkpoint/owned_store.ts";
import {
  defineProcessor,
  type ProcessorDefinition,
} from "../../src/config/define_processor.ts";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { fieldSelectorArg } from "../../src/config/message_args.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { endPool } from "./_mariadb_connection.ts";
import { mariadbSink } from "./mariadb_sink.ts";
import { mariadbStore } from "./mariadb_store.ts";

const url = urlArg(["mysql", "mariadb"]);
const name = z.string().check(z.minLength(1));

const store = defineStore({
  name: "mariadb",
  description:
    "Keeps checkpoints in a MariaDB (or MySQL) InnoDB table, fenced by a conditional UPDATE (needs the npm package mysql2).",
  args: z.strictObject({
    url,
    table: z.optional(name),
  }),
  async create({ url, table }): Promise<CheckpointStore> {
    const { default: mysql } = await importOptional(
      () => import("mysql2/promise"),
      "mysql2",
      "open the mariadb store",
    );
    // As the sink's own pool: an exactly-once mariadb-sink on the same
    // database writes through this one.
    const pool = mysql.createPool({
      uri: url,
      connectionLimit: 2,
      timezone: "Z",
    });
    pool.pool.on("connection", (connection) => {
      connection.query("SET time_zone = '+00:00'");
    });
    const store = mariadbStore(pool, table === undefined ? {} : { table });
    return ownedStore(store, () => endPool(pool));
  },
});

const sink = defineProcessor({
  name: "mariadb-sink",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "Writes records as rows of a MariaDB (or MySQL) table, one multi-row INSERT per batch, insert or upsert (ON DUPLICATE KEY UPDATE); a record that does not fit goes to the dead letter (needs the npm package mysql2).",
  args: z.strictObject({
    url,
    table: name,
    mode: z._default(z.enum(["insert", "upsert"]), "insert"),
    key: z.optional(z.union([name, z.array(name).check(z.minLength(1))])),
    columns: z.optional(z.record(name, fieldSelectorArg())),
    maxAttempts: z.optional(z.int().check(z.positive())),
    exactlyOnce: z.optional(z.boolean()),
  }).check(
    z.refine((args) => args.mode !== "upsert" || args.key !== undefined, {
      message: 'mode "upsert" needs key: the column(s) to update by',
    }),
  ),
  // The sink opens its own pool from the URL on the first write and ends
  // it with the pipeline; the mysql2 package loads then, not here.
  create: ({ maxAttempts, ...args }, context) =>
    mariadbSink({
      ...args,
      ...(maxAttempts === undefined ? {} : { retry: { maxAttempts } }),
      signal: context.signal,
    }),
});

/**
 * The MariaDB connector's definitions for pipeline configs: the `mariadb`
 * checkpoint store (`checkpoint.store: { type: mariadb, url, table? }`) and
 * the sink `mariadb-sink`. Importing this file loads no client: the
 * `mysql2` package loads when the store is created or the sink first
 * writes, and a missing package is an error that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { mariadbDefinitions } from "./mariadb_definitions.ts";
 *
 * const names = mariadbDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:mariadb,sink:mariadb-sink") throw new Error(`unexpected ${names}`);
 * ```
 */
export function mariadbDefinitions(): Definition[] {
  return [store as Definition, sink as ProcessorDefinition as Definition];
}
