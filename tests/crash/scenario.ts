// What a crash scenario module exports, for scripts/crash_test.ts.
//
// A scenario lives in tests/crash/scenarios/<name>.ts and default-exports a
// `CrashScenario`. The driver gives it a fresh folder and the size asked
// for, and for each of its runs: prepares it, starts its child process,
// SIGKILLs it `kills` times at random moments (restarting it each time),
// lets the last start finish, then reads back what was delivered and checks
// it: every expected record delivered (0 lost), in order apart from the
// replays right after a restart, and the longest replay within the run's
// bound (a run whose source cannot keep order says so, and is checked in
// any order: see `CrashRunBase.order`). A run with several outputs (a
// graph's sinks, records of several origins) names one stream per output
// and origin, and each is checked on its own. A connector adds its
// scenario as one new file; the driver does not change.

/** What the driver passes to a scenario. */
export interface CrashContext {
  /** A fresh temporary folder, removed after the scenario. */
  dir: string;
  /**
   * Records the source holds, or each source of a scenario with several
   * (`--records`, or the scenario's default).
   */
  records: number;
  /** How many times each run is killed (`--kills`, or the default). */
  kills: number;
  /** The repository root, ending with `/`. */
  root: URL;
  /** The Deno executable of the repository (node_modules/.bin/deno). */
  deno: string;
}

/**
 * One ordered sequence of delivered records, checked on its own: every
 * expected id delivered, in order apart from the replays right after a
 * restart.
 */
export interface CrashStream {
  /** Records delivered so far: where the next start's deliveries begin. */
  deliveredCount(): Promise<number>;
  /**
   * Every record delivered, in delivery order, by id; and whatever is
   * wrong with the delivered data itself (a partial line, ...).
   */
  delivered(): Promise<{ ids: number[]; problems: string[] }>;
  /** Whether the record with this id (0 to records - 1) must be delivered. */
  expected(id: number): boolean;
}

/** What every crashed run has, whatever it delivers. */
export interface CrashRunBase {
  /** Its name on the result line (default: the scenario's name). */
  label?: string;
  /** What this run shows, printed under its result line. */
  note?: string;
  /** Makes a fresh start: writes the input, resets the store. */
  prepare(): Promise<void>;
  /** The process to start, kill and start again. */
  child: {
    command: string;
    args: string[];
    env?: Record<string, string>;
  };
  /** A kill lands this many ms after a start, drawn in `[min, max]`. */
  killAfterMs: [number, number];
  /**
   * The longest replay (records delivered again after one restart) must
   * be at most `atMost`, or must exceed `moreThan` (a run that shows a
   * replay is unbounded without some option); `why` explains the number.
   * With several streams, it bounds each of them.
   */
  replay: { atMost: number; why: string } | { moreThan: number; why: string };
  /**
   * Set when the source cannot deliver in order across a restart (a server
   * that delivers what a killed run held only after a timeout, and newer
   * messages meanwhile); `why` is printed under the result line. Every
   * expected record must still be delivered, but in any order: a
   * duplicate is then a record delivered before, and a replay the
   * duplicates delivered between one restart and the next.
   */
  order?: { unordered: true; why: string };
  /** Releases what `prepare` opened elsewhere (a table, keys). */
  cleanup?(): Promise<void>;
}

/**
 * One crashed run of a scenario: its child, its checks. It delivers one
 * stream of records (a sink's output), or several named ones, each checked
 * on its own (a graph's sinks, split per origin: `"all/a"`, ...).
 */
export type CrashRun =
  & CrashRunBase
  & (CrashStream | {
    /** The named streams, each with its ids numbered from 0. */
    streams: Record<string, CrashStream>;
  });

/** The default export of a scenario module. */
export interface CrashScenario {
  /** One line: what is crashed and what it proves. */
  description: string;
  /** The full run's size: `npm run test:crash:all` uses these. */
  records: number;
  kills: number;
  /**
   * Its runs, in order: usually one; the last run's result line ends the
   * output, as `crash: <scenario> N kills, ...`.
   */
  runs(context: CrashContext): CrashRun[] | Promise<CrashRun[]>;
}
