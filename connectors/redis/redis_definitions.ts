// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { redisStore } from "./redis_store.ts";

const store = defineStore({
  name: "redis",
  description:
    "Keeps checkpoints in Redis, one hash per pipeline id, fenced by Lua scripts (needs the npm package redis).",
  args: z.strictObject({
    url: urlArg(["redis", "rediss"]),
    prefix: z.optional(z.string()),
  }),
  // The store owns the connection it opens from the URL: its close() ends
  // it. The `redis` package loads on the first call, not here.
  create: ({ url, prefix }) =>
    redisStore(url, prefix === undefined ? {} : { prefix }),
});

/**
 * The Redis connector's definitions for pipeline configs: the `redis`
 * checkpoint store (`checkpoint.store: { type: redis, url, prefix? }`).
 * Importing this file loads no client: the `redis` package loads when the
 * store first runs a command, and a missing package is an error that names
 * it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { redisDefinitions } from "./redis_definitions.ts";
 *
 * const names = redisDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:redis") throw new Error(`unexpected ${names}`);
 * ```
 */
export function redisDefinitions(): Definition[] {
  return [store as Definition];
}
