// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineDefinitionStore } from "../../src/config/define_definition_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { postgresDefinitionStore } from "./postgres_definition_store.ts";

const definitions = defineDefinitionStore({
  name: "postgres",
  description:
    "Keeps a connector host's definitions in a PostgreSQL table, one row per event; the primary key (connector, version) lets one of two concurrent changes win (needs the npm package postgres).",
  args: z.strictObject({
    url: urlArg(["postgres", "postgresql"]),
    table: z.optional(z.string().check(z.minLength(1))),
  }),
  // The store opens its own client on first use and ends it in close();
  // the postgres package loads then, not here.
  create: ({ url, table }) =>
    postgresDefinitionStore(url, table === undefined ? {} : { table }),
});

/**
 * The PostgreSQL connector's definition store for a connector host: the
 * `postgres` definition store (`{ type: postgres, url, table? }`).
 * Importing this file loads no client: the `postgres` package loads when
 * the store is first used, and a missing package is an error that names
 * it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { postgresDefinitionStoreDefinitions } from "./postgres_definition_store_definition.ts";
 *
 * const names = postgresDefinitionStoreDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "definitionStore:postgres") throw new Error(`unexpected ${names}`);
 * ```
 */
export function postgresDefinitionStoreDefinitions(): Definition[] {
  return [definitions as Definition];
}
