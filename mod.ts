// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Streaming pipelines on plain WHATWG streams, for Deno, Node and edge
 * workers. Sources, processors and sinks are `ReadableStream`,
 * `TransformStream` and `WritableStream`; inside `pipeline()` records travel
 * in batches and consecutive processors are fused, so it runs near the
 * speed of a plain loop.
 *
 * ```ts
 * import { collect, decodeNdjson, filter, map, pipeline } from "@ca/streams";
 *
 * const body = new Response('{"n":1}\n{"n":2}\n{"n":3}\n').body!;
 * const sink = collect<number>();
 * const summary = await pipeline(
 *   body,
 *   decodeNdjson(),
 *   map((row) => (row as { n: number }).n * 10),
 *   filter((n: number) => n > 10),
 *   sink,
 * );
 * if (sink.records.join() !== "20,30") throw new Error("unexpected output");
 * console.log(summary.recordsWritten); // 2
 * ```
 *
 * @module
 */

export * from "./src/pipeline/pipeline.ts";
export * from "./src/pipeline/origin_counts.ts";
export * from "./src/pipeline/sink_counts.ts";
export * from "./src/pipeline/pipeline_health.ts";
export * from "./src/health/connection_health.ts";
export * from "./src/graph/merge.ts";
export * from "./src/graph/fan_out.ts";
export * from "./src/graph/route.ts";
export * from "./src/graph/branch.ts";
export * from "./src/errors/stage_error.ts";
export * from "./src/errors/record_error.ts";
export * from "./src/processors/map.ts";
export * from "./src/processors/filter.ts";
export * from "./src/processors/flat_map.ts";
export * from "./src/processors/tap.ts";
export * from "./src/processors/observe_batches.ts";
export * from "./src/processors/take.ts";
export * from "./src/processors/batch.ts";
export * from "./src/processors/unbatch.ts";
export * from "./src/processors/map_concurrent.ts";
export * from "./src/processors/function_options.ts";
export * from "./src/processors/one_to_one.ts";
export * from "./src/sinks/batch_sink.ts";
export * from "./src/sinks/collect.ts";
export * from "./src/text/split_lines.ts";
export * from "./src/text/decode_ndjson.ts";
export * from "./src/text/encode_ndjson.ts";
export * from "./src/checkpoint/position.ts";
export * from "./src/checkpoint/checkpoint_store.ts";
export * from "./src/checkpoint/sink_checkpoint.ts";
export * from "./src/checkpoint/fenced_error.ts";
export * from "./src/checkpoint/memory_store.ts";
export * from "./src/sources/resumable_source.ts";
export * from "./src/failures/retry_policy.ts";
export * from "./src/failures/dead_letter.ts";
