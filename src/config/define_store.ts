// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import { completeDefinition } from "./check_definition.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * What a store definition's `create` receives besides its args.
 *
 * @example Open a registered store with a context
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { StoreContext } from "@ca/streams/config";
 *
 * const controller = new AbortController();
 * const context: StoreContext = {
 *   pipelineId: "demo",
 *   baseUrl: "file:///srv/pipelines/",
 *   signal: controller.signal,
 * };
 * const memory = new Registry(builtinDefinitions()).get("store", "memory")!;
 * const store = await memory.create({}, context);
 * const { generation } = await store.acquire(context.pipelineId);
 * if (generation !== 1) throw new Error(`unexpected generation ${generation}`);
 * ```
 */
export interface StoreContext {
  /** The config's `id`. */
  pipelineId: string;
  /**
   * The URL of the config file's directory, ending with `/`: resolve
   * relative paths in args against it (`new URL(args.dir, baseUrl)`).
   */
  baseUrl: string;
  /** Aborted when the runner is aborted. */
  signal: AbortSignal;
}

/**
 * A checkpoint store a pipeline config can name as `checkpoint.store.type`:
 * its args schema (any Standard Schema) validates the rest of the
 * `checkpoint.store` object (without `type`), and `create` opens the store.
 *
 * @typeParam Args The args after validation.
 *
 * @example List the stores a config may name
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { StoreDefinition } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const stores: StoreDefinition[] = registry.list("store");
 * const lines = stores.map((store) => `${store.name}: ${store.description}`);
 * if (!lines[0]?.startsWith("memory: ")) throw new Error(`unexpected ${lines}`);
 * ```
 */
export interface StoreDefinition<Args = unknown> {
  /** The name configs write as `type`: kebab-case, or scoped (`"acme/s3"`). */
  readonly name: string;
  /** Always `"store"`. */
  readonly kind: "store";
  /** One sentence for `ca list` and generated docs. */
  readonly description: string;
  /**
   * Validates `checkpoint.store` without its `type` key (`{ url }` of
   * `{ type: redis, url }`); its output goes to `create`. Check what can be
   * checked without connecting (a URL's scheme) so that `ca validate` finds
   * it.
   */
  readonly args: StandardSchemaV1<unknown, Args>;
  /**
   * Opens the store. Called by a runner, once per run, never while a config
   * is parsed. The store's `close()` must release everything `create`
   * opened (a client, a connection pool).
   *
   * @param args The validated args.
   * @param context The pipeline id, the config's directory and a signal.
   * @returns The store, or a promise of it.
   */
  create(
    args: Args,
    context: StoreContext,
  ): CheckpointStore | Promise<CheckpointStore>;
}

/**
 * Checks a checkpoint store definition and returns it, typed: `Args` is
 * inferred from the args schema, so `create` sees validated, typed args.
 * Register it in a {@linkcode Registry}, or export it from a module a
 * config lists under `modules:`, and configs can name it.
 *
 * @typeParam Args The args after validation.
 * @param definition The name, description, args schema and `create`.
 * @returns The definition, with `kind: "store"`.
 * @throws {TypeError} When a field is wrong: the message names it.
 *
 * @example A store that keeps checkpoints in memory and counts commits
 * ```ts
 * import { memoryStore } from "@ca/streams";
 * import { defineStore } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * let commits = 0;
 * export const countingStore = defineStore({
 *   name: "counting-memory",
 *   description: "Checkpoints in memory, commits counted.",
 *   args: z.strictObject({}),
 *   create() {
 *     const store = memoryStore();
 *     return { ...store, commit: (...args) => (commits++, store.commit(...args)) };
 *   },
 * });
 * const store = await countingStore.create({}, {
 *   pipelineId: "demo",
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * });
 * const { generation } = await store.acquire("demo");
 * await store.commit("demo", 1, generation);
 * if (commits !== 1) throw new Error("expected one commit");
 * ```
 */
export function defineStore<Args>(
  definition: Omit<StoreDefinition<Args>, "kind"> & { kind?: "store" },
): StoreDefinition<Args> {
  return completeDefinition(definition, "store") as StoreDefinition<Args>;
}
