/**
 * What the host benchmark's parent (`bench_host.ts`) and its host children
 * (`host_child.ts`) say to each other: commands as JSON lines on the
 * child's stdin, replies as JSON lines on its stdout.
 *
 * @module
 */

/** A command to a host child. */
export type ChildCommand =
  /** Run the unpaced connector once: `records` records, timed. */
  | { type: "run"; records: number }
  /** The process's CPU time and memory now. */
  | { type: "stats" }
  /** The records written by the paced connectors so far, summed. */
  | { type: "written" }
  /** Stop the host gracefully and exit. */
  | { type: "quit" };

/** The child is up: its host serves the API and its paced connectors run. */
export interface ReadyReply {
  type: "ready";
  /** `deno 2.x (V8 ...)` or `node 24.x (V8 ...)`. */
  runtime: string;
  /** Where the API listens: `http://127.0.0.1:PORT/`. */
  url: string;
  /** The admin bearer token. */
  token: string;
  /** The ids of the paced connectors, all running. */
  paced: string[];
  /** From `host.start()` to the last paced connector running, in ms. */
  startMs: number;
}

/** One timed run of the unpaced connector. */
export interface RunReply {
  type: "run";
  records: number;
  /** From the `POST /connectors` that starts it to its last record stored. */
  elapsedMs: number;
  /** From its first batch stored to its last. */
  streamingMs: number;
  recordsPerSec: number;
  /** CPU time of the whole process during the run (all threads), in µs. */
  cpuMicros: number;
  /**
   * The longest a 10 ms timer of this process fired late during the run,
   * in ms: how long the run kept the event loop from timers (the paced
   * connectors' among them).
   */
  maxTimerDelayMs: number;
  /** Records the paced connectors wrote during the run, per second. */
  pacedPerSec: number;
}

/** The process's resources (`process.cpuUsage()`, `memoryUsage()`). */
export interface StatsReply {
  type: "stats";
  /** User plus system CPU time since the process started, in µs. */
  cpuMicros: number;
  /** When it was taken (`performance.now()` of the child), in ms. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
}

/** The records the paced connectors wrote so far, summed. */
export interface WrittenReply {
  type: "written";
  records: number;
  at: number;
}

/** A command failed; the child exits after it. */
export interface ErrorReply {
  type: "error";
  message: string;
}

/** Any reply. */
export type ChildReply =
  | ReadyReply
  | RunReply
  | StatsReply
  | WrittenReply
  | ErrorReply;
