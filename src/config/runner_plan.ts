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
 * const output: ChannelPlan | undefined = a?.segments[0]?.outputs[0];
 * if (output?.name !== "numbers->out" || output.transport !== "tcp") throw new Error("unexpected");
 * ```
 */
export interface ChannelPlan {
  /** `${from}->${to}`; also the channel's stream name. */
  name: string;
  /** The processor that writes to it, on the writing runner. */
  from: string;
  /** The processor that reads from it, on the reading runner. */
  to: string;
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
 *   { name: "numbers", use: "generate", args: { count: 3 }, from: [] },
 *   { name: "first", use: "take", args: { count: 1 }, from: ["numbers"] },
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
  /**
   * The processors it reads from: of its segment, or of another runner
   * through the input channel `${from}->${name}` of its segment. `[]` for
   * a source.
   */
  from: string[];
}

/**
 * A part of the graph on one runner: processors of one runner connected
 * by edges, with a channel on every edge to or from another runner. One
 * `pipeline()` with its own checkpoint id: its sources are its real
 * sources and the readers of its input channels (merged when there are
 * several), its sinks its real sinks and the writers of its output
 * channels (fanned out, or routed, when there are several).
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
  /** The processors, in the config's order. */
  processors: ProcessorPlan[];
  /** The channels it reads (it listens on each), in the order of their `to`. */
  inputs: ChannelPlan[];
  /** The channels it writes (it dials each), in the order of their `to`. */
  outputs: ChannelPlan[];
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
 *       { name: "numbers", use: "generate", args: { count: 3 }, from: [] },
 *       { name: "out", use: "memory", args: {}, from: ["numbers"] },
 *     ],
 *     inputs: [],
 *     outputs: [],
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
  /** Its segments, in the order of their first processors. */
  segments: SegmentPlan[];
}
