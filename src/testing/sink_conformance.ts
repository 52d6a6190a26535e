// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import { memoryStore } from "../checkpoint/memory_store.ts";
import type { Position } from "../checkpoint/position.ts";
import type { DeadLetter } from "../failures/dead_letter.ts";
import { pipeline } from "../pipeline/pipeline.ts";
import type { PipelineOptions } from "../pipeline/pipeline.ts";
import { type CaseRun, settle } from "./case_run.ts";
import type { ConformanceOptions } from "./conformance_options.ts";
import { makeRecords } from "./make_records.ts";
import { numberedSource } from "./numbered_source.ts";
import {
  callFixture,
  checkAllReadStored,
  PIPELINE_ID,
  PipelineRun,
} from "./pipeline_checks.ts";
import { type RecordShape, shapeOf, show } from "./record_shape.ts";
import {
  type Case,
  checkHarness,
  registerCases,
  settingsOf,
} from "./register_cases.ts";
import { checkExact, checkPrefix, checkReplay } from "./sequences.ts";
import type { SinkFixture } from "./sink_fixture.ts";
import type { SinkHarness } from "./sink_harness.ts";
import { ChangeNotifier } from "../channel/change_notifier.ts";

/** The checkpoint commits of a run so far. */
interface Commits {
  count: number;
  /** The last committed record index. */
  last: number;
}

/** A run of the kit's numbered source into the sink under test. */
type Started = PipelineRun & { readonly commits: Commits };

/**
 * Registers the sink conformance cases, one test each, with `options.test`
 * (`Deno.test`, `node:test`'s `test`). Each case opens a fresh system with
 * `harness.open()`, writes numbered records (`harness.record(i)`) from a
 * resumable source of the kit's own through `pipeline()` into
 * `fixture.sink()`, reads back what the system holds with
 * `fixture.read()`, and closes the system. Every wait is bounded by
 * `options.timeoutMs`. The cases:
 *
 * - **stores every record once, in order** (per partition), and the ended
 *   run releases everything (`leaks()`);
 * - **acknowledges a record only once it is stored**: at every checkpoint
 *   commit, `read()` must already hold every record the commit covers;
 * - **a run aborted mid-way and rerun stores every record**: the rerun
 *   resumes from the first run's checkpoint; records may be stored twice,
 *   none may be lost, order is kept;
 * - **a record the sink refuses goes to the dead letter** (when the harness
 *   has `badRecord`): it reaches the pipeline's `deadLetter` once, every
 *   other record is stored, the pipeline goes on;
 * - **stop()** and **abort()** mid-stream settle promptly and release
 *   everything; a graceful stop stores every record already read;
 * - **an empty run ends cleanly and releases everything**.
 *
 * A failed case throws a {@linkcode ConformanceError}.
 *
 * @typeParam T The record type.
 * @param harness How to make the sink and read back what it stored.
 * @param options `test` (the test runner's function), `records`, `timeoutMs`.
 *
 * @example Check a sink into an in-memory table
 * ```ts
 * import { batchSink } from "@ca/streams";
 * import { sinkConformance } from "@ca/streams/testing";
 *
 * // In a test file: sinkConformance(harness, { test }) with node:test's
 * // test, or { test: Deno.test }. Here the cases are collected and run.
 * const cases: Array<() => Promise<void>> = [];
 * sinkConformance<{ id: number }>({
 *   name: "memory table",
 *   record: (index) => ({ id: index }),
 *   badRecord: (index) => ({ id: -index }),
 *   open() {
 *     const table: Array<{ id: number }> = [];
 *     return {
 *       sink: () =>
 *         batchSink<{ id: number }>({
 *           write(rows) {
 *             if (rows.some((row) => row.id < 0)) throw new RangeError("Cannot store a negative id");
 *             table.push(...rows);
 *           },
 *         }),
 *       read: () => table,
 *       close() {},
 *     };
 *   },
 * }, { test: (_name, fn) => void cases.push(fn), records: 40 });
 * for (const run of cases) await run();
 * ```
 */
export function sinkConformance<T>(
  harness: SinkHarness<T>,
  options: ConformanceOptions,
): void {
  checkHarness("sinkConformance()", harness, ["record", "open"]);
  const settings = settingsOf("sinkConformance()", options);
  const suite = new SinkCases(harness, settings.records);
  const cases: Case<SinkFixture<T>>[] = [
    ["stores every record once, in order", (r, f) => suite.inOrder(r, f)],
    [
      "acknowledges a record only once it is stored",
      (r, f) => suite.acknowledgesStored(r, f),
    ],
    [
      "a run aborted mid-way and rerun stores every record",
      (r, f) => suite.abortAndRerun(r, f),
    ],
  ];
  if (harness.badRecord) {
    cases.push([
      "a record the sink refuses goes to the dead letter",
      (r, f) => suite.deadLetter(r, f),
    ]);
  }
  cases.push(
    [
      "stop() mid-stream settles promptly, stores what was read and releases everything",
      (r, f) => suite.stopMidStream(r, f),
    ],
    [
      "abort() mid-stream settles promptly and releases everything",
      (r, f) => suite.abortMidStream(r, f),
    ],
    [
      "an empty run ends cleanly and releases everything",
      (r, f) => suite.emptyRun(r, f),
    ],
  );
  registerCases(harness.name, cases, () => harness.open(), settings);
}

/** The cases, over one harness. */
class SinkCases<T> {
  #harness: SinkHarness<T>;
  #shape: RecordShape<T>;
  #n: number;
  #chunk: number;

  constructor(harness: SinkHarness<T>, n: number) {
    this.#harness = harness;
    this.#shape = shapeOf(harness);
    this.#n = n;
    this.#chunk = Math.ceil(n / 10);
  }

  #records(run: CaseRun): T[] {
    return makeRecords(
      run,
      (i) => this.#harness.record(i),
      this.#shape,
      this.#n,
    );
  }

  async #sink(
    run: CaseRun,
    fixture: SinkFixture<T>,
  ): Promise<WritableStream<T>> {
    const sink = await callFixture(
      run,
      () => fixture.sink(),
      "sink() to make the sink",
      "sink() failed",
    );
    if (!(sink instanceof WritableStream)) {
      run.fail("sink() must return a WritableStream");
    }
    return sink;
  }

  async #read(run: CaseRun, fixture: SinkFixture<T>): Promise<readonly T[]> {
    const read = await callFixture(
      run,
      () => fixture.read(),
      "read() to read back what the sink stored",
      "read() failed",
    );
    if (!Array.isArray(read)) run.fail("read() must return an array");
    return read;
  }

  /**
   * Runs `records` (or an endless source appending to it) into a new sink
   * with a checkpoint whose every commit is checked against `read()`: a
   * committed position must be stored. Problems found land in `violations`.
   */
  async #start(
    run: CaseRun,
    fixture: SinkFixture<T>,
    records: T[],
    options: {
      store: CheckpointStore;
      violations: string[];
      endless?: boolean;
      pause?: boolean;
      holdAfter?: number;
    },
  ): Promise<Started> {
    const watch = new ChangeNotifier();
    const shape = this.#shape;
    const commits: Commits = { count: 0, last: -1 };
    const inner = options.store;
    const store: CheckpointStore = {
      get: (id, callOptions) => inner.get(id, callOptions),
      acquire: (id, callOptions) => inner.acquire(id, callOptions),
      delete: (id, callOptions) => inner.delete(id, callOptions),
      async commit(id, position: Position, generation, callOptions) {
        const upTo = Number(position);
        try {
          const keys = new Set((await fixture.read()).map((r) => shape.key(r)));
          const missing = records.slice(0, upTo + 1).find((record) =>
            !keys.has(shape.key(record))
          );
          if (missing !== undefined) {
            options.violations.push(
              `the checkpoint committed record ${
                show(shape.key(records[upTo]!))
              } and those before it as stored, but read() lacks record ${
                show(shape.key(missing))
              } (acknowledged before it was stored?)`,
            );
          }
        } catch (error) {
          options.violations.push(
            `read() failed at a commit: ${String(error)}`,
          );
        }
        await inner.commit(id, position, generation, callOptions);
        commits.count++;
        commits.last = Math.max(commits.last, upTo);
        watch.notify();
      },
    };
    const sink = await this.#sink(run, fixture);
    const source = numberedSource(records, {
      batchSize: this.#chunk,
      pause: options.pause,
      holdAfter: options.holdAfter,
      more: options.endless ? (i) => this.#harness.record(i) : undefined,
    });
    const pipelineOptions: PipelineOptions = {
      id: PIPELINE_ID,
      checkpoint: { store, everyRecords: 1 },
    };
    const started = new PipelineRun(
      run,
      watch,
      "the sink",
      () => pipeline(source, sink, pipelineOptions),
    );
    return Object.assign(started, { commits });
  }

  /**
   * Starts an endless run that pauses between batches and waits for its
   * first commit, or fails when the pipeline ends first.
   */
  async #midStream(
    run: CaseRun,
    fixture: SinkFixture<T>,
  ): Promise<{ written: T[]; violations: string[]; started: Started }> {
    const written: T[] = [];
    const violations: string[] = [];
    const started = await this.#start(run, fixture, written, {
      store: memoryStore(),
      violations,
      endless: true,
      pause: true,
    });
    await started.until(
      run,
      () => started.commits.count > 0,
      () => "the first checkpoint commit, once the sink stored a batch",
    );
    if (started.commits.count === 0) run.fail("the endless source ended");
    return { written, violations, started };
  }

  #noViolations(run: CaseRun, violations: string[]): void {
    if (violations.length === 0) return;
    run.fail(
      violations[0]! +
        (violations.length > 1 ? ` (and ${violations.length - 1} more)` : ""),
    );
  }

  async inOrder(run: CaseRun, fixture: SinkFixture<T>): Promise<void> {
    const written = this.#records(run);
    const violations: string[] = [];
    const started = await this.#start(run, fixture, written, {
      store: memoryStore(),
      violations,
    });
    const summary = await started.ended(
      run,
      `the pipeline to store ${this.#n} records and end`,
    );
    run.check(
      checkExact(await this.#read(run, fixture), written, this.#shape),
      "in what the sink stored",
    );
    if (summary.recordsWritten !== this.#n) {
      run.fail(
        `the pipeline counts ${summary.recordsWritten} records stored, expected ${this.#n}`,
      );
    }
    await run.noLeaks(
      fixture.leaks?.bind(fixture),
      "after the pipeline ended",
    );
  }

  async acknowledgesStored(
    run: CaseRun,
    fixture: SinkFixture<T>,
  ): Promise<void> {
    const written = this.#records(run);
    const violations: string[] = [];
    const started = await this.#start(run, fixture, written, {
      store: memoryStore(),
      violations,
      pause: true,
    });
    await started.ended(
      run,
      `the pipeline to store ${this.#n} records and end`,
    );
    this.#noViolations(run, violations);
    if (started.commits.count === 0) {
      run.fail(
        "no checkpoint was committed: the sink never acknowledged a batch",
      );
    }
    run.check(
      checkExact(await this.#read(run, fixture), written, this.#shape),
      "in what the sink stored",
    );
  }

  async abortAndRerun(run: CaseRun, fixture: SinkFixture<T>): Promise<void> {
    const written = this.#records(run);
    const violations: string[] = [];
    const store = memoryStore();
    const half = Math.floor(this.#n / 2);
    // The first run cannot end by itself: it holds after three quarters.
    const first = await this.#start(run, fixture, written, {
      store,
      violations,
      pause: true,
      holdAfter: Math.floor((3 * this.#n) / 4),
    });
    await run.until(
      () => first.commits.last >= half - 1 || first.settled,
      first.watch,
      () =>
        `the first run to commit ${half} records (committed up to record ${first.commits.last})`,
    );
    if (first.settled) {
      await first.checkOutcome(run);
      run.fail("the first run ended though its source had more records");
    }
    await first.abort(run, "mid-way");
    const second = await this.#start(run, fixture, written, {
      store,
      violations,
    });
    await second.ended(run, "the rerun to store the rest and end");
    this.#noViolations(run, violations);
    run.check(
      checkReplay(await this.#read(run, fixture), written, this.#shape),
      "after a run aborted mid-way and a rerun",
    );
  }

  async deadLetter(run: CaseRun, fixture: SinkFixture<T>): Promise<void> {
    const written = this.#records(run);
    const at = Math.floor(this.#n / 3);
    const bad = this.#harness.badRecord!(at);
    written[at] = bad;
    const letters: DeadLetter<T>[] = [];
    const sink = await this.#sink(run, fixture);
    const result = await run.within(
      settle(
        pipeline(numberedSource(written, { batchSize: this.#chunk }), sink, {
          deadLetter: new WritableStream<DeadLetter>({
            write: (letter) => void letters.push(letter as DeadLetter<T>),
          }),
        }),
      ),
      "the pipeline to end, with the refused record in the dead letter",
    );
    if (!result.ok) {
      run.fail(
        "the pipeline failed instead of sending the refused record to the dead letter",
        result.error,
      );
    }
    if (letters.length !== 1 || letters[0]!.record !== bad) {
      run.fail(
        letters.length === 0
          ? "the dead letter got nothing: the sink accepted harness.badRecord()"
          : `the dead letter got ${letters.length} record(s), expected harness.badRecord() once`,
      );
    }
    if (
      letters[0]!.stageIndex !== 0 || result.value.recordsDeadLettered !== 1
    ) {
      run.fail(
        `the dead letter names stage ${
          letters[0]!.stageIndex
        } and the summary counts ${result.value.recordsDeadLettered}, expected the sink (stage 0) and 1`,
      );
    }
    run.check(
      checkExact(
        await this.#read(run, fixture),
        written.filter((record) => record !== bad),
        this.#shape,
      ),
      "in what the sink stored beside the dead letter",
    );
  }

  async stopMidStream(run: CaseRun, fixture: SinkFixture<T>): Promise<void> {
    const { written, violations, started } = await this.#midStream(
      run,
      fixture,
    );
    const summary = await started.stop(run);
    checkAllReadStored(run, summary);
    this.#noViolations(run, violations);
    run.check(
      checkExact(
        await this.#read(run, fixture),
        written.slice(0, summary.recordsWritten),
        this.#shape,
      ),
      "in what the sink stored before stop()",
    );
    await run.noLeaks(fixture.leaks?.bind(fixture), "after stop() mid-stream");
  }

  async abortMidStream(run: CaseRun, fixture: SinkFixture<T>): Promise<void> {
    const { written, violations, started } = await this.#midStream(
      run,
      fixture,
    );
    await started.abort(run, "mid-stream");
    this.#noViolations(run, violations);
    run.check(
      checkPrefix(await this.#read(run, fixture), written, this.#shape),
      "in what the sink stored before abort()",
    );
    await run.noLeaks(fixture.leaks?.bind(fixture), "after abort() mid-stream");
  }

  async emptyRun(run: CaseRun, fixture: SinkFixture<T>): Promise<void> {
    const violations: string[] = [];
    const started = await this.#start(run, fixture, [], {
      store: memoryStore(),
      violations,
    });
    await started.ended(run, "the pipeline without records to end");
    const stored = await this.#read(run, fixture);
    if (stored.length > 0) {
      run.fail(
        `the system holds ${stored.length} record(s) though none was written`,
      );
    }
    await run.noLeaks(
      fixture.leaks?.bind(fixture),
      "after a run without records",
    );
  }
}
