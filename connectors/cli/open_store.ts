// Copyright 2026 the @ca/streams authors. MIT license.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import { toFilePath } from "../runtime/to_file_path.ts";

/**
 * Opens the checkpoint store a config names. The stores' packages load
 * lazily: a pipeline without Redis never imports the Redis client.
 *
 * @param config The store's config, validated.
 * @param baseUrl The config file's directory, for relative paths.
 * @returns The store; close it when done.
 */
export async function openStore(
  config: StoreConfig,
  baseUrl: string,
): Promise<CheckpointStore> {
  switch (config.type) {
    case "memory":
      return memoryStore();
    case "file": {
      const { fileStore } = await import("../file_store/file_store.ts");
      return fileStore(toFilePath(config.dir, baseUrl));
    }
    case "redis": {
      const { redisStore } = await import("../redis_store/redis_store.ts");
      return redisStore(config.url);
    }
    case "postgres": {
      const { postgresStore } = await import(
        "../postgres_store/postgres_store.ts"
      );
      const { default: postgres } = await import("postgres");
      const sql = postgres(config.url, { max: 2, onnotice: () => {} });
      const store = postgresStore(sql);
      return {
        get: (id, options) => store.get(id, options),
        acquire: (id, options) => store.acquire(id, options),
        commit: (id, position, generation, options) =>
          store.commit(id, position, generation, options),
        delete: (id, options) => store.delete(id, options),
        async close() {
          await store.close?.();
          await sql.end({ timeout: 5 });
        },
      };
    }
  }
}
