// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineLeaseEngine } from "../../src/config/define_lease_engine.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { postgresLeaseEngine } from "./postgres_lease_engine.ts";

const definitions = defineLeaseEngine({
  name: "postgres",
  description:
    "Keeps a cluster's leases in a PostgreSQL table, one row per lease, expiring by the database clock; of hosts taking one lease at once, one wins (needs the npm package postgres).",
  args: z.strictObject({
    url: urlArg(["postgres", "postgresql"]),
    table: z.optional(z.string().check(z.minLength(1))),
    ttlMs: z.optional(z.int().check(z.minimum(1), z.maximum(2_147_483_647))),
  }),
  // The engine opens its own client on first use and ends it in close();
  // the postgres package loads then, not here.
  create: ({ url, table, ttlMs }, { signal }) =>
    postgresLeaseEngine(url, {
      ...(table === undefined ? {} : { table }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
      signal,
    }),
});

/**
 * The PostgreSQL connector's lease engine for the hosts of a cluster: the
 * `postgres` lease engine (`{ type: postgres, url, table?, ttlMs? }`).
 * Importing this file loads no client: the `postgres` package loads when
 * the engine is first used, and a missing package is an error that names
 * it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { postgresLeaseEngineDefinitions } from "./postgres_lease_engine_definition.ts";
 *
 * const names = postgresLeaseEngineDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "leaseEngine:postgres") throw new Error(`unexpected ${names}`);
 * ```
 */
export function postgresLeaseEngineDefinitions(): Definition[] {
  return [definitions as Definition];
}
