// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Pipeline configs: the definitions a config can name (sources,
 * processors, sinks, checkpoint stores, channel transports), the registry
 * that holds them, and parsing and planning of config files (YAML or
 * JSON). The `ca` command (`@ca/streams/cli`) runs what this module
 * checks. It uses `zod` and `yaml`, which the root entry `@ca/streams` does
 * not load.
 *
 * ```ts
 * import { parsePipelineConfig, planPipeline } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: first, use: take, args: { count: 1 } }
 * `,
 *   { env: {} },
 * );
 * const [plan] = planPipeline(config, { baseUrl: "file:///srv/pipelines/" });
 * if (plan!.runner !== "main") throw new Error("unexpected plan");
 * ```
 *
 * @module
 */

export * from "./standard_schema.ts";
export * from "./define_processor.ts";
export * from "./define_store.ts";
export * from "./define_transport.ts";
export * from "./definition_kinds.ts";
export * from "./registry.ts";
export * from "./config_issue.ts";
export * from "./config_error.ts";
export * from "./pipeline_config.ts";
export * from "./parse_pipeline_config.ts";
export * from "./processor_inputs.ts";
export * from "./runner_plan.ts";
export * from "./plan_pipeline.ts";
export * from "./builtins/builtin_processors.ts";
export * from "./builtins/builtin_definitions.ts";
export * from "./builtins/console_sink.ts";
export * from "./define_definition_store.ts";
export * from "./define_lease_engine.ts";
