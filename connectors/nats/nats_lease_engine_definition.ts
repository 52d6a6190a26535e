// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineLeaseEngine } from "../../src/config/define_lease_engine.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { natsUrlArg } from "./_nats_url_arg.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import type { NatsConnectOptions } from "./nats_connect_options.ts";
import { natsLeaseEngine } from "./nats_lease_engine.ts";

const definitions = defineLeaseEngine({
  name: "nats",
  description:
    "Keeps a cluster's leases in a NATS JetStream KV bucket whose max_age is the ttl, so the server expires a lease not renewed; of hosts taking one lease at once, one wins (needs the npm packages @nats-io/transport-node and @nats-io/kv).",
  args: z.strictObject({
    url: z.optional(natsUrlArg()),
    user: z.optional(z.string()),
    pass: z.optional(z.string()),
    token: z.optional(z.string()),
    tls: z.optional(z.strictObject({
      caFile: z.optional(z.string()),
      certFile: z.optional(z.string()),
      keyFile: z.optional(z.string()),
    })),
    bucket: z.optional(
      z.string().check(
        z.regex(/^[-\w]+$/, "expected letters, digits, _ and - only"),
      ),
    ),
    ttlMs: z.optional(z.int().check(z.minimum(1), z.maximum(2_147_483_647))),
    replicas: z.optional(z.int().check(z.minimum(1), z.maximum(5))),
  }),
  // The engine connects on first use and closes its connection in
  // close(); the client packages load then, not here.
  create: (args, { baseUrl, signal }) => {
    const connectOptions: NatsConnectOptions = {};
    if (args.user !== undefined) connectOptions.user = args.user;
    if (args.pass !== undefined) connectOptions.pass = args.pass;
    if (args.token !== undefined) connectOptions.token = args.token;
    if (args.tls !== undefined) {
      const tls: Record<string, string> = {};
      for (const [key, path] of Object.entries(args.tls)) {
        if (path !== undefined) tls[key] = toFilePath(path, baseUrl);
      }
      connectOptions.tls = tls;
    }
    return natsLeaseEngine({
      ...(args.url === undefined ? {} : { url: args.url }),
      connectOptions,
      ...(args.bucket === undefined ? {} : { bucket: args.bucket }),
      ...(args.ttlMs === undefined ? {} : { ttlMs: args.ttlMs }),
      ...(args.replicas === undefined ? {} : { replicas: args.replicas }),
      signal,
    });
  },
});

/**
 * The NATS connector's lease engine for the hosts of a cluster: the `nats`
 * lease engine (`{ type: nats, url?, bucket?, ttlMs?, replicas? }`, and
 * the credentials `user`/`pass`, `token`, `tls` as the NATS connectors
 * take them). Importing this file loads no client:
 * `@nats-io/transport-node` and `@nats-io/kv` load when the engine is first
 * used, and a missing package is an error that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { natsLeaseEngineDefinitions } from "./nats_lease_engine_definition.ts";
 *
 * const names = natsLeaseEngineDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "leaseEngine:nats") throw new Error(`unexpected ${names}`);
 * ```
 */
export function natsLeaseEngineDefinitions(): Definition[] {
  return [definitions as Definition];
}
