// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A checkpoint store in Redis, on the official `redis` client (node-redis
 * 5 or 6, an optional peer dependency). Pass in a connected client, or a
 * `redis://` URL for a connection the store owns; each change is one
 * atomic Lua script, so fencing holds across processes.
 *
 * `@ca/streams/redis` is the folder of everything Redis; the 0.1
 * subpath `@ca/streams/redis-store` stays an alias of it until 1.0.
 *
 * ```ts ignore
 * import { pipeline, resumableSource, collect } from "@ca/streams";
 * import { redisStore } from "@ca/streams/redis";
 * import { createClient } from "redis";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const source = resumableSource<number>({
 *   async *open(after) {
 *     const start = after === undefined ? 0 : Number(after) + 1;
 *     for (let n = start; n < 5; n++) yield { records: [n], position: n };
 *   },
 * });
 * await pipeline(source, collect<number>(), {
 *   id: "numbers",
 *   checkpoint: { store: redisStore(client) },
 * });
 * await client.close();
 * ```
 *
 * @module
 */

export * from "./redis_store.ts";
