// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A checkpoint store in Deno KV, locally (SQLite) or on Deno Deploy. The
 * `Deno.Kv` is passed in; fencing uses atomic operations checked on the
 * versionstamp. `Deno.openKv()` needs `--unstable-kv`.
 *
 * ```ts
 * import { FencedError } from "@ca/streams";
 * import { denoKvStore } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   const store = denoKvStore(kv);
 *   const first = await store.acquire("orders");
 *   const second = await store.acquire("orders"); // another instance takes over
 *   await store.commit("orders", 10, second.generation);
 *   const stale = await store.commit("orders", 5, first.generation).catch((e) => e);
 *   if (!(stale instanceof FencedError)) throw new Error("expected fencing");
 * } finally {
 *   kv.close();
 * }
 * ```
 *
 * @module
 */

export * from "./deno_kv_store.ts";
