// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The runtimes a runner can be. */
export type RunnerRuntime = "deno" | "node" | "python";

/** One runner of a config: a child process that runs some processors. */
export interface RunnerConfig {
  /** `"deno"`, `"node"` or `"python"`. */
  runtime: RunnerRuntime;
  /**
   * The executable, when given; else the host uses `CA_DENO`, `CA_NODE` or
   * `CA_PYTHON`, else `deno`, `node` or `python3` on the `PATH`.
   */
  executable?: string;
  /** A Python runner's script, relative to the config file, when given. */
  script?: string;
}

/** Where checkpoints are stored; relative paths are relative to the config file. */
export type StoreConfig =
  | { type: "memory" }
  | { type: "file"; dir: string }
  | { type: "redis"; url: string }
  | { type: "postgres"; url: string };

/** The `checkpoint` section of a config. */
export interface CheckpointConfig {
  /** The store. */
  store: StoreConfig;
  /** Commit once this many more records are done. */
  everyRecords?: number;
  /** Commit at least this often, in ms. */
  everyMs?: number;
  /**
   * Reading waits while this many records are read but not committed: a
   * crash then repeats at most this many plus one batch.
   */
  maxUncommittedRecords?: number;
}

/** One processor of a config, with its runner filled in. */
export interface ProcessorConfig {
  /** Its unique name in the config. */
  name: string;
  /** The definition's name (for a Python runner, a name it lists). */
  use: string;
  /** The runner it runs on. */
  runner: string;
  /**
   * Its args as written, after environment substitution (`{}` when
   * omitted). They were validated by the definition's schema; a runner
   * validates them again and passes the schema's output to `create`.
   */
  args: unknown;
}

/** A channel between two consecutive processors on different runners. */
export interface ChannelConfig {
  /** The processor that writes. */
  from: string;
  /** The processor that reads: the one right after `from`. */
  to: string;
  /** `"tcp"` (default) or `"ws"`. */
  transport: "tcp" | "ws";
  /** Where the reader listens (default `"127.0.0.1"`). */
  host: string;
  /** The reader's port; 0 (default) picks a free one. */
  port: number;
  /** The shared token (default `""`). */
  token: string;
}

/**
 * A checked and normalized pipeline config, as
 * {@linkcode parsePipelineConfig} returns it: every default filled in, each
 * processor's runner set, and one channel per runner boundary.
 *
 * @example Read a normalized config
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { PipelineConfig } from "@ca/streams/config";
 *
 * const config: PipelineConfig = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: first, use: take, args: { count: 1 } }
 * `,
 *   { env: {} },
 * );
 * if (config.processors[1]!.runner !== "main") throw new Error("no runner");
 * ```
 */
export interface PipelineConfig {
  /** Always 1. */
  version: 1;
  /** The pipeline's id: 1-100 characters of `A-Z a-z 0-9 . _ -`. */
  id: string;
  /** The runners, by name, in the order written. */
  runners: Record<string, RunnerConfig>;
  /** Modules of processor definitions, as written (relative to the config file). */
  modules: string[];
  /** Where and how often positions are committed, when configured. */
  checkpoint?: CheckpointConfig;
  /** The processors, in order: a source, processors, a sink. */
  processors: ProcessorConfig[];
  /** One channel per boundary between runners, in processor order. */
  channels: ChannelConfig[];
}
