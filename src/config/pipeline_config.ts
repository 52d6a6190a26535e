// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The runtimes a runner can be.
 *
 * @example The runtimes a config uses
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { RunnerRuntime } from "@ca/streams/config";
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
 * const runtimes: RunnerRuntime[] = Object.values(config.runners).map((r) => r.runtime);
 * if (runtimes.join() !== "deno,node") throw new Error(`unexpected ${runtimes}`);
 * ```
 */
export type RunnerRuntime = "deno" | "node" | "python";

/**
 * One runner of a config: a child process that runs some processors.
 *
 * @example A runner with its own executable
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { RunnerConfig } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno, executable: /opt/deno/bin/deno } }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: out, use: console-sink }
 * `,
 *   { env: {} },
 * );
 * const main: RunnerConfig = config.runners.main!;
 * if (main.runtime !== "deno" || main.executable !== "/opt/deno/bin/deno") throw new Error("unexpected");
 * ```
 */
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

/**
 * Where checkpoints are stored: `type` names a registered store (`memory`,
 * `file`, `deno-kv`, `redis`, `postgres`, or one a module adds) and the
 * other keys are its args, such as `{ type: "file", dir: "./checkpoints" }`.
 * Relative paths are relative to the config file.
 *
 * @example The store of a config, and its args
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { StoreConfig } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * checkpoint: { store: { type: file, dir: ./checkpoints } }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: out, use: console-sink }
 * `,
 *   { env: {} },
 * );
 * const { type, ...args }: StoreConfig = config.checkpoint!.store;
 * if (type !== "file" || args.dir !== "./checkpoints") throw new Error("unexpected");
 * ```
 */
export interface StoreConfig {
  /** The store's name in the registry. */
  type: string;
  /** Its args, as written after environment substitution. */
  [arg: string]: unknown;
}

/**
 * The `checkpoint` section of a config.
 *
 * @example Read how often a config commits
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { CheckpointConfig } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * checkpoint: { store: { type: memory }, everyRecords: 500, maxUncommittedRecords: 5000 }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: out, use: console-sink }
 * `,
 *   { env: {} },
 * );
 * const checkpoint: CheckpointConfig = config.checkpoint!;
 * if (checkpoint.everyRecords !== 500 || checkpoint.maxUncommittedRecords !== 5000) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
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

/**
 * One processor of a config, with its runner filled in.
 *
 * @example Each processor gets its runner
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { ProcessorConfig } from "@ca/streams/config";
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
 * const [source, sink]: ProcessorConfig[] = config.processors;
 * if (source?.runner !== "main" || JSON.stringify(sink?.args) !== "{}") throw new Error("unexpected");
 * ```
 */
export interface ProcessorConfig {
  /** Its unique name in the config. */
  name: string;
  /** The definition's name (for a Python runner, a name it lists). */
  use: string;
  /** The runner it runs on. */
  runner: string;
  /**
   * The names of the processors it reads from, only where it reads other
   * than the one listed before it: `[]` for a source listed after
   * another, `["a", "b"]` for a merge of `a` and `b`. Absent: it reads
   * the processor listed before it (nothing, for the first).
   * {@linkcode processorInputs} gives every processor's inputs.
   */
  from?: string[];
  /**
   * Its args as written, after environment substitution (`{}` when
   * omitted). They were validated by the definition's schema; a runner
   * validates them again and passes the schema's output to `create`.
   */
  args: unknown;
}

/**
 * A channel on an edge of the graph between two runners: from a processor
 * to one that reads from it, on another runner.
 *
 * @example The channel between two runners, with its defaults
 * ```ts
 * import { parsePipelineConfig } from "@ca/streams/config";
 * import type { ChannelConfig } from "@ca/streams/config";
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
 * const [channel]: ChannelConfig[] = config.channels;
 * if (channel?.from !== "numbers" || channel.to !== "out" || channel.transport !== "tcp") {
 *   throw new Error(`unexpected ${JSON.stringify(channel)}`);
 * }
 * ```
 */
export interface ChannelConfig {
  /** The processor that writes. */
  from: string;
  /** The processor that reads: one that reads from `from`. */
  to: string;
  /**
   * The transport's name in the registry: `"tcp"` (default), `"ws"`, or
   * one a module adds.
   */
  transport: string;
  /** Where the reader listens (default `"127.0.0.1"`). */
  host: string;
  /** The reader's port; 0 (default) picks a free one. */
  port: number;
  /** The shared token (default `""`). */
  token: string;
  /** The transport's args as written (default `{}`), checked by its schema. */
  args: unknown;
}

/**
 * A checked and normalized pipeline config, as
 * {@linkcode parsePipelineConfig} returns it: every default filled in, each
 * processor's runner set and its inputs resolved, and one channel per edge
 * between runners.
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
  /**
   * Where a connector host of a cluster may run it: only on hosts that have
   * every one of `labels` (`ca serve --label`). A pipeline run alone
   * ignores it.
   */
  placement?: { labels: string[] };
  /**
   * How many instances of it a cluster of connector hosts runs, each on
   * another host when it can (1-64; default 1), over a source that can
   * share its input (a Redis Streams consumer group, a JetStream durable
   * consumer). Instance `i` runs under the pipeline id `ID.i` (its own
   * checkpoints; a Redis consumer named after it), with `${CA_INSTANCE}`
   * (`i`) and `${CA_INSTANCES}` (the count) to substitute. `ca run` runs
   * one pipeline, under the config's `id`.
   */
  parallelism?: number;
  /**
   * The processors, in order. A line (no `from`, no `route`): a source,
   * processors, a sink. A graph: sources, processors and routes that name
   * their inputs, and sinks.
   */
  processors: ProcessorConfig[];
  /**
   * One channel per edge between processors on different runners, in the
   * order of the processors that read, then of their inputs.
   */
  channels: ChannelConfig[];
}
