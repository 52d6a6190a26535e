// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { memoryStore } from "../../checkpoint/memory_store.ts";
import { defineStore, type StoreDefinition } from "../define_store.ts";

/**
 * The `memory` checkpoint store: positions kept in the runner's memory, so
 * a rerun starts over. For tests and demos; it takes no args.
 *
 * @example Open it as a runner does
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 *
 * const memory = new Registry(builtinDefinitions()).get("store", "memory")!;
 * const store = await memory.create({}, {
 *   pipelineId: "demo",
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * });
 * const { generation } = await store.acquire("demo");
 * await store.commit("demo", 3, generation);
 * if ((await store.get("demo")).position !== 3) throw new Error("not kept");
 * ```
 */
export const memoryStoreDefinition: StoreDefinition<Record<string, never>> =
  defineStore({
    name: "memory",
    description:
      "Keeps checkpoints in the runner's memory: a rerun starts over. For tests and demos.",
    args: z.strictObject({}),
    create: () => memoryStore(),
  });
