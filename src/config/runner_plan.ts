// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RunnerRuntime, StoreConfig } from "./pipeline_config.ts";

/** A channel as a segment sees it: where to listen or to dial. */
export interface ChannelPlan {
  /** `${from}->${to}`; also the channel's stream name. */
  name: string;
  /** `"tcp"` or `"ws"`. */
  transport: "tcp" | "ws";
  /** Where the reader listens. */
  host: string;
  /** The reader's port; 0 picks one, and the reader reports the real one. */
  port: number;
  /** The shared token (`""` for none). */
  token: string;
}

/** One processor of a segment. */
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
