// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { memoryLeaseEngine } from "../../cluster/memory_lease_engine.ts";
import {
  defineLeaseEngine,
  type LeaseEngineDefinition,
} from "../define_lease_engine.ts";

/**
 * The `memory` lease engine: leases kept in the memory of one process, so
 * only hosts inside that process share them. For tests and demos; its one
 * arg is `ttlMs` (default 10000).
 *
 * @example Open it as a host does
 * ```ts
 * import { memoryLeaseEngineDefinition } from "./memory_lease_engine.ts";
 *
 * const leases = await memoryLeaseEngineDefinition.create({ ttlMs: 3_000 }, {
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * });
 * const lease = await leases.acquire("connector/demo", "host-a", "{}");
 * if (lease === undefined || leases.ttlMs !== 3_000) throw new Error("unexpected");
 * await leases.close();
 * ```
 */
export const memoryLeaseEngineDefinition: LeaseEngineDefinition<
  { ttlMs?: number | undefined }
> = defineLeaseEngine({
  name: "memory",
  description:
    "Keeps a cluster's leases in the memory of one process: only hosts in that process share them. For tests and demos.",
  args: z.strictObject({
    ttlMs: z.optional(
      z.int().check(z.minimum(1), z.maximum(2_147_483_647)),
    ),
  }),
  create: ({ ttlMs }) =>
    memoryLeaseEngine(ttlMs === undefined ? {} : { ttlMs }),
});
