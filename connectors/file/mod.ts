// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Files of lines as a resumable source and a batch-aware sink, on Deno and
 * Node. Positions are byte offsets, so a pipeline with a checkpoint resumes
 * exactly after the last line it stored, and the sink cuts a torn last line
 * left by a killed writer.
 *
 * ```ts
 * import { map, pipeline } from "@ca/streams";
 * import { fileSink, fileSource } from "@ca/streams/file";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/in.ndjson`, '{"n":1}\n{"n":2}\n');
 *   await pipeline(
 *     fileSource<{ n: number }>(`${dir}/in.ndjson`),
 *     map((row: { n: number }) => ({ n: row.n * 10 })),
 *     fileSink(`${dir}/out.ndjson`),
 *   );
 *   const out = await Deno.readTextFile(`${dir}/out.ndjson`);
 *   if (out !== '{"n":10}\n{"n":20}\n') throw new Error(`unexpected ${out}`);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export * from "./file_source.ts";
export * from "./file_sink.ts";
export * from "./file_syntax_error.ts";
