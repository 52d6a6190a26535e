// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionStoreDefinition } from "./define_definition_store.ts";
import type { LeaseEngineDefinition } from "./define_lease_engine.ts";
import type { ProcessorDefinition } from "./define_processor.ts";
import type { StoreDefinition } from "./define_store.ts";
import type { TransportDefinition } from "./define_transport.ts";

/**
 * The definition type of each kind. A new kind (a definition store, a lease
 * engine) is one more entry here and one more row of
 * {@linkcode DEFINITION_KINDS}.
 *
 * @example Look a definition up with the type of its kind
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { DefinitionOfKind } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const memory: DefinitionOfKind["store"] | undefined = registry.get("store", "memory");
 * const take: DefinitionOfKind["processor"] | undefined = registry.get("processor", "take");
 * if (memory?.kind !== "store" || take?.kind !== "processor") throw new Error("unexpected");
 * ```
 */
export interface DefinitionOfKind {
  /** A source: comes first in a config's `processors`. */
  source: ProcessorDefinition;
  /** A processor: between the source and the sink. */
  processor: ProcessorDefinition;
  /** A sink: comes last in a config's `processors`. */
  sink: ProcessorDefinition;
  /** A checkpoint store: `checkpoint.store.type` in a config. */
  store: StoreDefinition;
  /** A channel transport: `channels[].transport` in a config. */
  transport: TransportDefinition;
  /** A definition store: where a connector host keeps its connectors (`ca serve --definitions`). */
  definitionStore: DefinitionStoreDefinition;
  /** A lease engine: what the hosts of a cluster share leases through. */
  leaseEngine: LeaseEngineDefinition;
}

/**
 * What a definition is: `"source"`, `"processor"`, `"sink"`, `"store"`,
 * `"transport"`, `"definitionStore"` or `"leaseEngine"`.
 *
 * @example Count the definitions of each kind
 * ```ts
 * import { builtinDefinitions, DEFINITION_KINDS, Registry } from "@ca/streams/config";
 * import type { DefinitionKind } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const kinds = Object.keys(DEFINITION_KINDS) as DefinitionKind[];
 * const counts = Object.fromEntries(kinds.map((kind) => [kind, registry.list(kind).length]));
 * if (counts.store !== 1 || counts.transport !== 0 || counts.source < 1) {
 *   throw new Error(`unexpected ${JSON.stringify(counts)}`);
 * }
 * ```
 */
export type DefinitionKind = keyof DefinitionOfKind;

/**
 * A definition of any kind, as a {@linkcode Registry} holds them.
 *
 * @example Name every definition with its kind
 * ```ts
 * import { builtinDefinitions } from "@ca/streams/config";
 * import type { Definition } from "@ca/streams/config";
 *
 * const definitions: Definition[] = builtinDefinitions();
 * const names = definitions.map((definition) => `${definition.kind}/${definition.name}`);
 * if (!names.includes("store/memory") || !names.includes("source/generate")) {
 *   throw new Error(`unexpected ${names}`);
 * }
 * ```
 */
export type Definition = DefinitionOfKind[DefinitionKind];

/**
 * One row of {@linkcode DEFINITION_KINDS}.
 *
 * @example Say where a config names a transport
 * ```ts
 * import { DEFINITION_KINDS } from "@ca/streams/config";
 * import type { DefinitionKindInfo } from "@ca/streams/config";
 *
 * const info: DefinitionKindInfo = DEFINITION_KINDS.transport;
 * if (info.namedBy !== "channels[].transport" || info.members.join() !== "listen,connect") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export interface DefinitionKindInfo {
  /**
   * The namespace its names live in: names are unique within a namespace,
   * and a config names a definition of any kind of that namespace in one
   * place. Sources, processors and sinks share `"processor"` (a config's
   * `use`); stores, transports, definition stores and lease engines have
   * their own.
   */
  readonly namespace: string;
  /** Where a config names it, for messages, such as `"checkpoint.store.type"`. */
  readonly namedBy: string;
  /** The function members a definition of this kind must have. */
  readonly members: readonly string[];
}

/**
 * Every kind of definition a {@linkcode Registry} holds, in the order `ca
 * list` and the catalog show them, with the namespace of its names, where a
 * config names it and the functions a definition of it has. This table is
 * the one place that lists the kinds.
 *
 * @example Group names by namespace
 * ```ts
 * import { DEFINITION_KINDS } from "@ca/streams/config";
 *
 * for (const [kind, info] of Object.entries(DEFINITION_KINDS)) {
 *   console.log(`${kind}: named by ${info.namedBy}, namespace ${info.namespace}`);
 * }
 * if (DEFINITION_KINDS.sink.namespace !== "processor") throw new Error("namespace");
 * ```
 */
export const DEFINITION_KINDS: Readonly<
  Record<DefinitionKind, DefinitionKindInfo>
> = Object.freeze({
  source: { namespace: "processor", namedBy: "use", members: ["create"] },
  processor: { namespace: "processor", namedBy: "use", members: ["create"] },
  sink: { namespace: "processor", namedBy: "use", members: ["create"] },
  store: {
    namespace: "store",
    namedBy: "checkpoint.store.type",
    members: ["create"],
  },
  transport: {
    namespace: "transport",
    namedBy: "channels[].transport",
    members: ["listen", "connect"],
  },
  definitionStore: {
    namespace: "definitionStore",
    namedBy: "ca serve --definitions",
    members: ["create"],
  },
  leaseEngine: {
    namespace: "leaseEngine",
    namedBy: "ca serve --cluster",
    members: ["create"],
  },
});
