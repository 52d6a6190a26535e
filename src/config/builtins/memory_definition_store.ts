// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { memoryDefinitionStore } from "../../definition_store/memory_definition_store.ts";
import {
  defineDefinitionStore,
  type DefinitionStoreDefinition,
} from "../define_definition_store.ts";

/**
 * The `memory` definition store: a host's connectors kept in its memory,
 * so a restarted host starts with none. For tests and demos; it takes no
 * args.
 *
 * @example Open it as a host does
 * ```ts
 * import { memoryDefinitionStoreDefinition } from "./memory_definition_store.ts";
 *
 * const store = await memoryDefinitionStoreDefinition.create({}, {
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * });
 * const at = new Date().toISOString();
 * await store.append("demo", [{ type: "created", connector: "demo", at, data: { config: {} } }], 0);
 * if ((await store.list())[0]?.version !== 1) throw new Error("not kept");
 * ```
 */
export const memoryDefinitionStoreDefinition: DefinitionStoreDefinition<
  Record<string, never>
> = defineDefinitionStore({
  name: "memory",
  description:
    "Keeps a connector host's definitions in its memory: a restarted host starts with none. For tests and demos.",
  args: z.strictObject({}),
  create: () => memoryDefinitionStore(),
});
