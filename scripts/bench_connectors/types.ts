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
  /**
   * Optional: measures what records/s does not say (a latency under a
   * steady load), once, after the timed rounds; for the header.
   */
  extras?(): Promise<RowExtras>;
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
  /** The ratio the row must reach (default 0.8). */
  target?: number;
  /** Creates the fixtures for runs of `records` records. */
  open(records: number): Promise<RowSession>;
}

/** A row's measurements beside records/s (see `RowSession.extras`). */
export interface RowExtras {
  /** Lines for the header, each printed as `# <row> <note>`. */
  notes: string[];
  /** Targets of the row besides its ratio, for the targets line. */
  targets: RowTarget[];
}

/** A target a row meets or not: `CDC lag under 1 s`. */
export interface RowTarget {
  /** What it asks, with the figure: `lag under 1 s (max 212 ms)`. */
  label: string;
  met: boolean;
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
  /** What `RowSession.extras` measured, when the row has it. */
  extras?: RowExtras;
}
