// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineDefinitionStore } from "../../src/config/define_definition_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { natsUrlArg } from "./_nats_url_arg.ts";
import { jetStreamDefinitionStore } from "./jetstream_definition_store.ts";

const definitions = defineDefinitionStore({
  name: "jetstream",
  description:
    "Keeps a connector host's definitions in a NATS JetStream stream, one subject per connector and one message per append; the expected last subject sequence lets one of two concurrent changes win (needs the npm package @nats-io/jetstream).",
  args: z.strictObject({
    url: z.optional(natsUrlArg()),
    stream: z.optional(
      z.string().check(
        z.regex(
          /^[^\s.*>/\\]+$/,
          "expected a stream name without spaces, dots, slashes or wildcards",
        ),
      ),
    ),
    subjectPrefix: z.optional(
      z.string().check(
        z.regex(
          /^[^\s.*>]+(\.[^\s.*>]+)*$/,
          'expected a subject such as "ca.definitions", without wildcards',
        ),
      ),
    ),
    replicas: z.optional(z.int().check(z.gte(1), z.lte(5))),
  }),
  // The store connects on first use and closes the connection in close();
  // the NATS packages load then, not here.
  create: (args) => jetStreamDefinitionStore(args),
});

/**
 * The NATS connector's definition store for a connector host: the
 * `jetstream` definition store (`{ type: jetstream, url?, stream?,
 * subjectPrefix?, replicas? }`; the URL may carry `user:pass@` or a
 * token). Importing this file loads no client: `@nats-io/transport-node`
 * and `@nats-io/jetstream` load when the store is first used, and a missing
 * package is an error that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { jetStreamDefinitionStoreDefinitions } from "./jetstream_definition_store_definition.ts";
 *
 * const names = jetStreamDefinitionStoreDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "definitionStore:jetstream") throw new Error(`unexpected ${names}`);
 * ```
 */
export function jetStreamDefinitionStoreDefinitions(): Definition[] {
  return [definitions as Definition];
}
