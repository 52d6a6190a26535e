// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { PipelineConfig } from "./pipeline_config.ts";

/**
 * The inputs of every processor of a parsed config: its `from`, or else
 * the processor listed before it (nothing for the first). Together they
 * are the edges of the pipeline's graph.
 *
 * @param config A config from {@linkcode parsePipelineConfig}.
 * @returns By index, as `config.processors`: the names each reads from.
 *
 * @example The edges of a merge
 * ```ts
 * import { builtinDefinitions, parsePipelineConfig, processorInputs, Registry } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * processors:
 *   - { name: orders, use: generate, args: { count: 3 } }
 *   - { name: refunds, use: generate, args: { count: 2 } }
 *   - { name: all, use: take, from: [orders, refunds], args: { count: 4 } }
 *   - { name: out, use: console-sink }
 * `,
 *   { env: {}, registry: new Registry(builtinDefinitions()) },
 * );
 * const inputs = processorInputs(config);
 * if (JSON.stringify(inputs) !== '[[],[],["orders","refunds"],["all"]]') {
 *   throw new Error(`unexpected ${JSON.stringify(inputs)}`);
 * }
 * ```
 */
export function processorInputs(config: PipelineConfig): string[][] {
  return config.processors.map((processor, index) =>
    processor.from !== undefined
      ? [...processor.from]
      : index === 0
      ? []
      : [config.processors[index - 1]!.name]
  );
}
