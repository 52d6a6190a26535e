// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { ownedStore } from "../../src/checkpoint/owned_store.ts";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { postgresStore } from "./postgres_store.ts";

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
    return ownedStore(
      postgresStore(sql, table === undefined ? {} : { table }),
      () => sql.end({ timeout: 5 }),
    );
  },
});

/**
 * The PostgreSQL connector's definitions for pipeline configs: the
 * `postgres` checkpoint store (`checkpoint.store: { type: postgres, url,
 * table? }`). Importing this file loads no client: the `postgres` package
 * loads when the store is created, and a missing package is an error that
 * names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { postgresDefinitions } from "./postgres_definitions.ts";
 *
 * const names = postgresDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:postgres") throw new Error(`unexpected ${names}`);
 * ```
 */
export function postgresDefinitions(): Definition[] {
  return [store as Definition];
}
