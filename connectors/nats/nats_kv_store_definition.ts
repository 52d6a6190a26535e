// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { natsUrlArg } from "./_nats_url_arg.ts";
import { natsKvStore } from "./nats_kv_store.ts";

const store = defineStore({
  name: "nats-kv",
  description:
    "Keeps checkpoints in a NATS KV bucket, one key per pipeline id, fenced by compare-and-set on the key's revision (needs the npm package @nats-io/kv).",
  args: z.strictObject({
    url: z.optional(natsUrlArg()),
    bucket: z.optional(
      z.string().check(
        z.regex(
          /^[-\w]+$/,
          "expected a bucket name of letters, digits, - and _",
        ),
      ),
    ),
    replicas: z.optional(z.int().check(z.gte(1), z.lte(5))),
  }),
  // The store connects on first use and closes the connection in close();
  // the NATS packages load then, not here.
  create: (args) => natsKvStore(args),
});

/**
 * The NATS connector's checkpoint store: the `nats-kv` store
 * (`{ type: nats-kv, url?, bucket?, replicas? }`; the URL may carry
 * `user:pass@` or a token). Importing this file loads no client:
 * `@nats-io/transport-node` and `@nats-io/kv` load when the store is first
 * used, and a missing package is an error that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { natsKvStoreDefinitions } from "./nats_kv_store_definition.ts";
 *
 * const names = natsKvStoreDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:nats-kv") throw new Error(`unexpected ${names}`);
 * ```
 */
export function natsKvStoreDefinitions(): Definition[] {
  return [store as Definition];
}
