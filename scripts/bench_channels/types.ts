/**
 * What each implementation of the channel benchmark provides: a reading
 * side (in the reader process) and a sending function (in the writer
 * process). The child processes know nothing else about them.
 *
 * @module
 */

import type { BenchRecord, Tally } from "./records.ts";

/** The two ends of a transport between processes. */
export type Transport = "tcp" | "ws";

/** Our channel, or the raw baseline on the same transport. */
export type ImplName = "channel" | "raw";

/** The runtimes a child runs on. */
export type Runtime = "deno" | "node";

/** The reading side, listening before any writer dials. */
export interface ReaderSide {
  /** One port per phase (warm-up phases, then the timed one). */
  readonly ports: readonly number[];
  /**
   * Serves phase `phase`: accepts its one writer, does the sink work on
   * every record, confirms to the writer once all are stored, and resolves
   * with the tally when the writer is done. `records` is how many the
   * writer sends, for a baseline with no end-of-stream message of its own.
   */
  receive(phase: number, records: number): Promise<Tally>;
}

/** One implementation on one transport. */
export interface BenchImpl {
  /** Opens the reading side with `phases` listeners on 127.0.0.1. */
  listen(phases: number): Promise<ReaderSide>;
  /**
   * Sends `records` to the reader on `port`, in batches of 1024; resolves
   * once the reader confirmed that it stored all of them.
   */
  send(port: number, records: readonly BenchRecord[]): Promise<void>;
}

/** What the reader process prints per phase, one JSON line each. */
export interface ReaderReport {
  phase: number;
  count: number;
  sum: number;
}

/** What the writer process prints for its timed phase. */
export interface WriterReport {
  runtimeVersion: string;
  records: number;
  /** From before the connection is opened to the reader's confirmation. */
  elapsedMs: number;
  warmupPhases: number;
}
