/**
 * Types shared by the benchmark driver, the child process and the implementations.
 *
 * @module
 */

import type { InputRecord } from "./workload.ts";

/** The library as `mod.ts` exports it (Deno: the source; Node: the built `dist/mod.js`). */
export type Library = typeof import("../../mod.ts");

/** Runtimes the benchmark runs on. */
export type Runtime = "deno" | "node";

/** What the sink saw: every implementation must produce the same count and sum. */
export interface Checksum {
  count: number;
  sum: number;
}

/** What an implementation returns. */
export interface ImplResult extends Checksum {
  /** The `PipelineSummary` counters, for the implementations built with `pipeline()`. */
  summary?: { recordsRead: number; recordsWritten: number };
}

/**
 * The `run` export of each module in `impls/`. It takes the input records,
 * or what the module's `prepare` made of them.
 */
export type ImplRun<Input = readonly InputRecord[]> = (
  records: Input,
  lib: Library,
) => ImplResult | Promise<ImplResult>;

/**
 * The optional `prepare` export of a module in `impls/`: turns the input
 * records into what its `run` takes (the two halves of a merge), before the
 * warm-up and before the timed run, untimed.
 */
export type ImplPrepare<Input> = (records: readonly InputRecord[]) => Input;

/** The one JSON line a child process prints. */
export interface ChildReport {
  impl: string;
  runtime: Runtime;
  runtimeVersion: string;
  records: number;
  elapsedMs: number;
  result: ImplResult;
  /** The result of the first warm-up pass (every pass must give the same). */
  warmup: ImplResult;
  warmupPasses: number;
  /** VmRSS once the input array is built, before the warm-up. */
  inputRssMb: number;
  /** VmHWM at the end of the process. */
  peakRssMb: number;
}
