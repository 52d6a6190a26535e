/**
 * What every row of the connector benchmark provides, and what its child
 * process reports.
 *
 * A row is one connector, measured against a hand-written loop on the same
 * official client that does the same work: the same acknowledgements, the
 * same batch sizes, the same encoding. Both run in one process, one after
 * the other, interleaved over rounds.
 *
 * @module
 */

/** The connector through `pipeline()`, or the hand-written loop. */
export type Impl = "connector" | "baseline";

/** The runtimes a row's child runs on. */
export type Runtime = "deno" | "node";

/** One timed run. */
export interface RowRun {
  /** From the first call (connecting included) to the last record stored. */
  elapsedMs: number;
  /** Records the run moved. */
  records: number;
}

/** An open row: its fixtures (stream, queue, server) exist until `close`. */
export interface RowSession {
  /** The server the row runs against, for the header (`Redis 7.0.15`). */
  readonly server: string;
  /**
   * One run of `impl` over the row's records: sets up what it needs
   * (prefills, fresh consumer names), untimed; times the transfer; checks
   * what arrived (count, checksum, acknowledgements), untimed. Throws when
   * a check fails.
   */
  run(impl: Impl): Promise<RowRun>;
  /** Deletes what the row made (streams, queues, sessions, processes). */
  close(): Promise<void>;
}

/** A row of the benchmark. */
export interface Row {
  /** The connector's config name: `redis-stream-source`. */
  name: string;
  /** Records per run by default. */
  records: number;
  /** Run sizes are rounded up to a multiple of this (whole batches). */
  multipleOf: number;
  /** What both implementations do, for the header. */
  workload: string;
  /** What the hand-written loop does, for the header. */
  baseline: string;
  /** The client packages both use (their versions go in the header). */
  clients: readonly string[];
  /** Creates the fixtures for runs of `records` records. */
  open(records: number): Promise<RowSession>;
}

/** One line a child prints per timed run (stdout, JSON). */
export interface RunReport {
  row: string;
  impl: Impl;
  round: number;
  records: number;
  elapsedMs: number;
  recordsPerSec: number;
}

/** The child's last line. */
export interface DoneReport {
  row: string;
  done: true;
  runtime: string;
  server: string;
}
