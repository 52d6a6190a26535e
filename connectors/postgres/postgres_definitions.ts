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
import { dropPostgresChangeSlot } from "./drop_postgres_change_slot.ts";
import { postgresChangeSource } from "./postgres_change_source.ts";
import { postgresSink } from "./postgres_sink.ts";
import { postgresStore } from "./postgres_store.ts";
import { postgresTableSource } from "./postgres_table_source.ts";

const store = defineStore({
  name: "postgres",
  description:
    "Keeps checkpoints in a PostgreSQL table, fenced by a conditional UPDATE (needs the npm package postgres).",
  args: z.strictObject({
    url: urlArg(["postgres", "postgresql"]),
    table: z.optional(z.string().check(z.minLength(1))),
  }),
  async create({ url, table }): Promise<CheckpointStore> {
    const { default: postgres } = await importOptional(
      () => import("postgres"),
      "postgres",
      "open the postgres store",
    );
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    const store = postgresStore(sql, table === undefined ? {} : { table });
    return ownedStore(store, () => sql.end({ timeout: 5 }));
  },
});

const sinkName = z.string().check(z.minLength(1));

const sink = defineProcessor({
  name: "postgres-sink",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "Writes records as rows of a PostgreSQL table, one INSERT ... SELECT FROM unnest() per batch, insert or upsert by key; a record that does not fit goes to the dead letter (needs the npm package postgres).",
  args: z.strictObject({
    url: urlArg(["postgres", "postgresql"]),
    table: sinkName,
    mode: z._default(z.enum(["insert", "upsert"]), "insert"),
    key: z.optional(
      z.union([sinkName, z.array(sinkName).check(z.minLength(1))]),
    ),
    columns: z.optional(z.record(sinkName, fieldSelectorArg())),
    maxAttempts: z.optional(z.int().check(z.positive())),
    exactlyOnce: z.optional(z.boolean()),
  }).check(
    z.refine((args) => args.mode !== "upsert" || args.key !== undefined, {
      message: 'mode "upsert" needs key: the column(s) to update by',
    }),
  ),
  // The sink opens its own client from the URL on the first write and ends
  // it with the pipeline; the postgres package loads then, not here.
  create: ({ maxAttempts, ...args }, context) =>
    postgresSink({
      ...args,
      ...(maxAttempts === undefined ? {} : { retry: { maxAttempts } }),
      signal: context.signal,
    }),
});

const changeSource = defineProcessor({
  name: "postgres-change-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Captures the inserts, updates and deletes of PostgreSQL tables through logical replication (pgoutput) on a persistent slot, whole transactions in commit order, and confirms to the slot only what the sink stored (needs wal_level = logical, a user with REPLICATION, and the npm package postgres).",
  args: z.strictObject({
    url: urlArg(["postgres", "postgresql"]),
    slot: z.string().check(
      z.regex(
        /^[a-z0-9_]{1,58}$/,
        "expected 1 to 58 lower-case letters, digits or _",
      ),
    ),
    tables: z.array(
      z.string().check(
        z.regex(/^[^.]+(\.[^.]+)?$/, 'expected "schema.table" or "table"'),
      ),
    ).check(z.minLength(1)),
    publication: z.optional(z.string().check(z.minLength(1))),
    createSlot: z.optional(z.boolean()),
    createPublication: z.optional(z.boolean()),
    snapshot: z.optional(z.boolean()),
    reset: z.optional(z.union([
      z.literal("latest"),
      z.strictObject({
        lsn: z.string().check(
          z.regex(
            /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/,
            'expected an LSN such as "0/16B3748"',
          ),
        ),
      }),
    ])),
    batchSize: z.optional(z.int().check(z.positive())),
    statusIntervalMs: z.optional(z.int().check(z.minimum(100))),
  }),
  // The source opens its replication connection on the first read; the
  // postgres package loads then, not here.
  create: (args, context) =>
    postgresChangeSource({ ...args, signal: context.signal }),
  // Deleted: the slot goes, so the server keeps no WAL for it (one that is
  // gone already is fine). The publication stays: other readers may use it.
  async remove({ url, slot }) {
    await dropPostgresChangeSlot({ url, slot });
  },
});

const columnName = z.string().check(z.minLength(1));

const tableSource = defineProcessor({
  name: "postgres-table-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Reads the rows inserted or updated in a PostgreSQL table by polling it, in the order of the transactions that wrote them, losing none to transactions that commit out of order; for users without replication rights (needs SELECT on the table and the npm package postgres).",
  args: z.strictObject({
    url: urlArg(["postgres", "postgresql"]),
    table: z.string().check(
      z.regex(/^[^.]+(\.[^.]+)?$/, 'expected "schema.table" or "table"'),
    ),
    key: columnName,
    columns: z.optional(z.array(columnName).check(z.minLength(1))),
    batchSize: z.optional(z.int().check(z.positive())),
    pollIntervalMs: z.optional(z.int().check(z.positive())),
  }),
  // The source opens its client on the first read and ends it when the
  // pipeline ends; the postgres package loads then, not here.
  create: (args, context) =>
    postgresTableSource({ ...args, signal: context.signal }),
});

/**
 * The PostgreSQL connector's definitions for pipeline configs: the
 * `postgres` checkpoint store (`checkpoint.store: { type: postgres, url,
 * table? }`), the sources `postgres-change-source` (change data capture)
 * and `postgres-table-source` (polling a table, without replication
 * rights), and the sink `postgres-sink`. Importing this file loads no client: the
 * `postgres` package loads when the store is created, the source first
 * reads or the sink first writes, and a missing package is an error that
 * names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { postgresDefinitions } from "./postgres_definitions.ts";
 *
 * const names = postgresDefinitions().map((d) => `${d.kind}:${d.name}`);
 * const expected = "store:postgres,source:postgres-change-source,source:postgres-table-source,sink:postgres-sink";
 * if (names.join() !== expected) throw new Error(`unexpected ${names}`);
 * ```
 */
export function postgresDefinitions(): Definition[] {
  return [
    store as Definition,
    changeSource as ProcessorDefinition as Definition,
    tableSource as ProcessorDefinition as Definition,
    sink as ProcessorDefinition as Definition,
  ];
}
