/**
 * The implementations of the workload. Their names are a contract: they appear in the
 * `impl` field of `--json` lines.
 *
 * @module
 */

import type { Runtime } from "./types.ts";

/** One implementation: its module in `impls/` exports `run` (see `ImplRun`). */
export interface ImplInfo {
  name: string;
  /** File name in `impls/`, without `.ts`. */
  module: string;
  /** Imports the library, so Node needs the built package. */
  usesLibrary: boolean;
  runtimes: readonly Runtime[];
  description: string;
  /** Runs only when asked for (`--checkpoint` or `--impl`): not in the default rows. */
  optIn?: boolean;
  /**
   * Goes over the input this many times in one run (default 1), so that
   * one-off costs (a store's acquire, the final commit) do not hide the
   * steady-state rate. Rates and checksums account for it.
   */
  passes?: number;
}

/** All implementations, `loop` (the baseline and checksum reference) first. */
export const IMPLS: readonly ImplInfo[] = [
  {
    name: "loop",
    module: "loop",
    usesLibrary: false,
    runtimes: ["deno", "node"],
    description: "plain loop over the array calling the five functions",
  },
  {
    name: "pipeline",
    module: "pipeline",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description: "pipeline(array, map, filter, map, map, map, batchSink)",
  },
  {
    name: "pipeline-fanout2",
    module: "pipeline_fanout2",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description: "the same into fanOut({ a: batchSink, b: batchSink })",
  },
  {
    name: "pipeline-merge2",
    module: "pipeline_merge2",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description:
      "the same from merge({ a, b }), each array half the input, into one batchSink",
  },
  {
    name: "pipeline-plain-sink",
    module: "pipeline_plain_sink",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description: "the same into a plain WritableStream",
  },
  {
    name: "pipeline-user-transforms",
    module: "pipeline_user_transforms",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description: "pipeline() with the stages as user TransformStreams",
  },
  {
    name: "whatwg-naive",
    module: "whatwg_naive",
    usesLibrary: false,
    runtimes: ["deno", "node"],
    description:
      "ReadableStream.from(array).pipeThrough(...) x5, one record per chunk",
  },
  {
    name: "rxjs",
    module: "rxjs",
    usesLibrary: false,
    runtimes: ["deno", "node"],
    description: "RxJS 7 from(array).pipe(map, filter, map, map, map)",
  },
  {
    name: "pipeline-resumable",
    module: "pipeline_resumable",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description:
      "pipeline over a resumableSource of the array (10 passes), no checkpoint",
    optIn: true,
    passes: 10,
  },
  {
    name: "pipeline-checkpoint",
    module: "pipeline_checkpoint",
    usesLibrary: true,
    runtimes: ["deno", "node"],
    description:
      "the same, checkpointing every 1000 records to the file store (10 passes)",
    optIn: true,
    passes: 10,
  },
  {
    name: "node-stream",
    module: "node_stream",
    usesLibrary: false,
    runtimes: ["node"],
    description:
      "node:stream pipeline, objectMode Readable.from + Transform x5 + Writable",
  },
];
