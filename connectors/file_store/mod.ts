// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A checkpoint store in a local folder, one JSON file per pipeline id, on
 * Deno and Node. Commits are fsynced and renamed into place, and a lock
 * file keeps fencing right across processes.
 *
 * ```ts
 * import { pipeline, resumableSource, collect } from "@ca/streams";
 * import { fileStore } from "@ca/streams/file-store";
 *
 * const directory = await Deno.makeTempDir();
 * try {
 *   const store = fileStore(directory);
 *   const source = resumableSource<number>({
 *     async *open(after) {
 *       const start = after === undefined ? 0 : Number(after) + 1;
 *       for (let n = start; n < 5; n++) yield { records: [n], position: n };
 *     },
 *   });
 *   const sink = collect<number>();
 *   await pipeline(source, sink, { id: "numbers", checkpoint: { store } });
 *   const { position } = await store.get("numbers");
 *   if (position !== 4) throw new Error(`unexpected ${position}`);
 * } finally {
 *   await Deno.remove(directory, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export * from "./file_store.ts";
export * from "./file_definition_store.ts";
