// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Definition } from "../definition_kinds.ts";
import { builtinProcessors } from "./builtin_processors.ts";
import { memoryStoreDefinition } from "./memory_store.ts";
import { memoryDefinitionStoreDefinition } from "./memory_definition_store.ts";
import { memoryLeaseEngineDefinition } from "./memory_lease_engine.ts";

/**
 * Every definition of the web-standard core: the processors of
 * `builtinProcessors()`, the `memory` checkpoint store, and the `memory`
 * definition store and lease engine. The stores and
 * transports that need a runtime or a server (`file`, `redis`, `tcp`, ...)
 * live in `connectors/`; `defaultRegistry()` of `@ca/streams/cli` has them
 * all.
 *
 * @returns A new array of the definitions.
 *
 * @example A registry of the core's definitions
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * if (!registry.has("processor", "generate")) throw new Error("no generate");
 * if (registry.names("store").join() !== "memory") throw new Error("stores");
 * ```
 */
export function builtinDefinitions(): Definition[] {
  return [
    ...builtinProcessors(),
    memoryStoreDefinition as Definition,
    memoryDefinitionStoreDefinition as Definition,
    memoryLeaseEngineDefinition as Definition,
  ];
}
