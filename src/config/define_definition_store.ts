// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionStore } from "../definition_store/definition_store.ts";
import { checkDefinition } from "./check_definition.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * What a definition store definition's `create` receives besides its args.
 *
 * @example Open a registered definition store with a context
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { DefinitionStoreContext } from "@ca/streams/config";
 *
 * const context: DefinitionStoreContext = {
 *   baseUrl: "file:///srv/host/",
 *   signal: new AbortController().signal,
 * };
 * const memory = new Registry(builtinDefinitions()).get("definitionStore", "memory")!;
 * const store = await memory.create({}, context);
 * if ((await store.list()).length !== 0) throw new Error("expected an empty store");
 * await store.close();
 * ```
 */
export interface DefinitionStoreContext {
  /**
   * The URL of the host's root directory (`ca serve --root`), ending with
   * `/`: resolve relative paths in args against it (`new URL(args.path,
   * baseUrl)`).
   */
  baseUrl: string;
  /** Aborted when the host stops. */
  signal: AbortSignal;
}

/**
 * A definition store a connector host can keep its connectors'
 * definitions in, named by `ca serve --definitions`: its args schema (any
 * Standard Schema) validates the store's settings (without `type`), and
 * `create` opens the store.
 *
 * @typeParam Args The args after validation.
 *
 * @example List the definition stores a host may use
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { DefinitionStoreDefinition } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const stores: DefinitionStoreDefinition[] = registry.list("definitionStore");
 * const lines = stores.map((store) => `${store.name}: ${store.description}`);
 * if (!lines[0]?.startsWith("memory: ")) throw new Error(`unexpected ${lines}`);
 * ```
 */
export interface DefinitionStoreDefinition<Args = unknown> {
  /** The name a host is given as `type`: kebab-case, or scoped (`"acme/s3"`). */
  readonly name: string;
  /** Always `"definitionStore"`. */
  readonly kind: "definitionStore";
  /** One sentence for `ca list` and generated docs. */
  readonly description: string;
  /**
   * Validates the store's settings without their `type` key (`{ path }` of
   * `{ type: file, path }`); its output goes to `create`. Check what can be
   * checked without connecting (a URL's scheme) so that a host refuses bad
   * settings before it starts.
   */
  readonly args: StandardSchemaV1<unknown, Args>;
  /**
   * Opens the store. Called by a host, once, when it starts. The store's
   * `close()` must release everything `create` opened (a client, a
   * connection pool).
   *
   * @param args The validated args.
   * @param context The host's root directory and a signal.
   * @returns The store, or a promise of it.
   */
  create(
    args: Args,
    context: DefinitionStoreContext,
  ): DefinitionStore | Promise<DefinitionStore>;
}

/**
 * Checks a definition store definition and returns it, typed: `Args` is
 * inferred from the args schema, so `create` sees validated, typed args.
 * Register it in a {@linkcode Registry}, or export it from a module, and a
 * connector host can keep its definitions in it.
 *
 * @typeParam Args The args after validation.
 * @param definition The name, description, args schema and `create`.
 * @returns The definition, with `kind: "definitionStore"`.
 * @throws {TypeError} When a field is wrong: the message names it.
 *
 * @example A memory definition store that counts appends
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import { defineDefinitionStore } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * let appends = 0;
 * export const countingStore = defineDefinitionStore({
 *   name: "counting-memory",
 *   description: "Definitions in memory, appends counted.",
 *   args: z.strictObject({}),
 *   create() {
 *     const store = memoryDefinitionStore();
 *     return { ...store, append: (...args) => (appends++, store.append(...args)) };
 *   },
 * });
 * const store = await countingStore.create({}, {
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * });
 * const at = new Date().toISOString();
 * await store.append("demo", [{ type: "created", connector: "demo", at, data: { config: {} } }], 0);
 * if (appends !== 1) throw new Error("expected one append");
 * ```
 */
export function defineDefinitionStore<Args>(
  definition:
    & Omit<DefinitionStoreDefinition<Args>, "kind">
    & { kind?: "definitionStore" },
): DefinitionStoreDefinition<Args> {
  const made = { ...definition, kind: definition.kind ?? "definitionStore" };
  checkDefinition(made, "define definitionStore", ["definitionStore"]);
  return made as DefinitionStoreDefinition<Args>;
}
