// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RunnerRuntime, StoreConfig } from "./pipeline_config.ts";

/**
 * A channel as a segment sees it: where to listen or to dial.
 *
 * @example The channel a writing segment dials
 * ```ts
 * import { parsePipelineConfig, planPipeline } from "@ca/streams/config";
 * import type { ChannelPlan } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { a: { runtime: deno }, b: { runtime: node } }
 * processors:
 *   - { name: numbers, use: generate, runner: a, args: { count: 3 } }
 *   - { name: out, use: console-sink, runner: b }
 * `,
 *   { env: {} },
 * );
 * const [a] = planPipeline(config, { baseUrl: "file:///srv/pipelines/" });
 * const output: ChannelPlan | undefined = a?.segments[0]?.output;
 * if (output?.name !== "numbers->out" || output.transport !== "tcp") throw new Error("unexpected");
 * ```
 */
export interface ChannelPlan {
  /** `${from}->${to}`; also the channel's stream name. */
  name: string;
  /** The transport's name in the registry, such as `"tcp"` or `"ws"`. */
  transport: string;
  /** Where the reader listens. */
  host: string;
  /** The reader's port; 0 picks one, and the reader reports the real one. */
  port: number;
  /** The shared token (`""` for none). */
  token: string;
  /** The transport's args as written (`{}` when none). */
  args: unknown;
}

/**
 * One processor of a segment.
 *
 * @example Check that every processor of a segment is registered
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { ProcessorPlan } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const plans: ProcessorPlan[] = [
 *   { name: "numbers", use: "generate", args: { count: 3 } },
 *   { name: "first", use: "take", args: { count: 1 } },
 * ];
 * const missing = plans.filter((plan) => !registry.has("processor", plan.use));
 * if (missing.length !== 0) throw new Error(`unknown ${missing.map((p) => p.use)}`);
 * ```
 */
export interface ProcessorPlan {
  /** Its name in the config. */
  name: string;
  /** The definition it uses. */
  use: string;
  /** Its args as written, after environment substitution. */
  args: unknown;
}

/**
 * A maximal run of consecutive processors on one runner: one
 * `pipeline()` with its own checkpoint id.
 *
 * @example The segments of a runner and their checkpoint ids
 * ```ts
 * import { parsePipelineConfig, planPipeline } from "@ca/streams/config";
 * import type { SegmentPlan } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: out, use: console-sink }
 * `,
 *   { env: {} },
 * );
 * const [plan] = planPipeline(config, { baseUrl: "file:///srv/pipelines/" });
 * const segments: SegmentPlan[] = plan!.segments;
 * if (segments.length !== 1 || segments[0]!.id !== "demo/numbers") throw new Error("unexpected");
 * ```
 */
export interface SegmentPlan {
  /** `${pipelineId}/${first processor name}`: the checkpoint id. */
  id: string;
  /** The processors, in order. */
  processors: ProcessorPlan[];
  /** The channel it reads (it listens), unless it starts with the source. */
  input?: ChannelPlan;
  /** The channel it writes (it dials), unless it ends with the sink. */
  output?: ChannelPlan;
}

/**
 * What one runner executes, as JSON: the `plan` of the runner protocol's
 * `start` message.
 *
 * @example A runner's plan
 * ```ts
 * import type { RunnerPlan } from "@ca/streams/config";
 *
 * const plan: RunnerPlan = {
 *   pipelineId: "demo",
 *   runner: "main",
 *   runtime: "deno",
 *   baseUrl: "file:///srv/pipelines/",
 *   modules: [],
 *   segments: [{
 *     id: "demo/numbers",
 *     processors: [
 *       { name: "numbers", use: "generate", args: { count: 3 } },
 *       { name: "out", use: "memory", args: {} },
 *     ],
 *   }],
 * };
 * console.log(JSON.stringify(plan));
 * ```
 */
export interface RunnerPlan {
  /** The config's id. */
  pipelineId: string;
  /** The runner's name. */
  runner: string;
  /** `"deno"`, `"node"` or `"python"`. */
  runtime: RunnerRuntime;
  /** The config file's directory URL, ending with `/`. */
  baseUrl: string;
  /** The config's modules as absolute URLs. */
  modules: string[];
  /**
   * The checkpoint, when configured. A file store's `dir` is as written:
   * resolve it against `baseUrl`.
   */
  checkpoint?: {
    store: StoreConfig;
    everyRecords?: number;
    everyMs?: number;
    maxUncommittedRecords?: number;
  };
  /** Its segments, in processor order. */
  segments: SegmentPlan[];
}
