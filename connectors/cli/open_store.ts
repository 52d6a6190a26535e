// Copyright 2026 the @ca/streams authors. MIT license.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { didYouMean } from "../../src/config/suggest.ts";
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import type { Registry } from "../../src/config/registry.ts";
import { validateArgs } from "../../src/config/validate_args.ts";

/** Options for {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** Where `config.type` is looked up. */
  registry: Registry;
  /** The config's `id`. */
  pipelineId: string;
  /** The config file's directory (a URL ending with `/`), for relative paths. */
  baseUrl: string;
  /** Aborted when the runner is aborted. */
  signal?: AbortSignal;
}

/**
 * Opens the checkpoint store a config names, from its definition in the
 * registry: the args (the store's keys besides `type`) are validated
 * again, then the definition's `create` runs. Client packages load there,
 * lazily: a pipeline without Redis never imports the Redis client.
 *
 * @param config The config's `checkpoint.store`.
 * @param options The registry, the pipeline id, the config's directory and
 * a signal.
 * @returns The store; close it when done.
 * @throws {ConfigError} When the type is not registered or the args are
 * invalid (issues at `/checkpoint/store/...`).
 */
export async function openStore(
  config: StoreConfig,
  options: OpenStoreOptions,
): Promise<CheckpointStore> {
  const { type, ...args } = config;
  const definition = options.registry.get("store", type);
  if (definition === undefined) {
    const names = options.registry.names("store");
    throw new ConfigError([{
      path: "/checkpoint/store/type",
      message: `expected a registered store, got ${JSON.stringify(type)}${
        didYouMean(type, names)
      }; known: ${names.join(", ") || "none"}`,
    }]);
  }
  const result = await validateArgs(definition, args, {
    path: "/checkpoint/store",
  });
  if (!result.ok) throw new ConfigError(result.issues);
  return await definition.create(result.value, {
    pipelineId: options.pipelineId,
    baseUrl: options.baseUrl,
    signal: options.signal ?? new AbortController().signal,
  });
}
