// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import { memoryStore } from "../checkpoint/memory_store.ts";
import type { Position } from "../checkpoint/position.ts";
import { describeError } from "../errors/describe_error.ts";
import type { DeadLetter } from "../failures/dead_letter.ts";
import { pipeline } from "../pipeline/pipeline.ts";
import type {
  CheckpointOptions,
  PipelineOptions,
} from "../pipeline/pipeline.ts";
import { map } from "../processors/map.ts";
import {
  RESUMABLE_SOURCE,
  resumableSource,
} from "../sources/resumable_source.ts";
import type {
  ResumableSource,
  SourceBatch,
} from "../sources/resumable_source.ts";
import { type CaseRun, settle, sleep } from "./case_run.ts";
import type { ConformanceOptions } from "./conformance_options.ts";
import { makeRecords } from "./make_records.ts";
import {
  callFixture,
  checkAllReadStored,
  PIPELINE_ID,
  PipelineRun,
} from "./pipeline_checks.ts";
import { type RecordShape, shapeOf, show } from "./record_shape.ts";
import type { Recording } from "./recording_sink.ts";
import { recordingSink } from "./recording_sink.ts";
import {
  type Case,
  checkHarness,
  registerCases,
  settingsOf,
} from "./register_cases.ts";
import { checkExact, checkPrefix, checkResumed } from "./sequences.ts";
import type { SourceFixture } from "./source_fixture.ts";
import type { SourceHarness } from "./source_harness.ts";
import { ChangeNotifier } from "../channel/change_notifier.ts";

/** A pipeline run by a case, reading into a {@linkcode Recording}. */
type Started<T> = PipelineRun & {
  readonly recording: Recording<T>;
  readonly letters: DeadLetter<T>[];
};

interface StartOptions {
  /** The sink holds back the first write that comes once this many are stored. */
  stallAt?: number;
  /** A processor throws on the record with this key. */
  rejectKey?: string;
  reset?: CheckpointOptions["reset"];
}

/**
 * Registers the source conformance cases, one test each, with
 * `options.test` (`Deno.test`, `node:test`'s `test`). Each case opens a
 * fresh system with `harness.open()`, writes numbered records into it
 * (`harness.record(i)`), reads them with `pipeline()` into a sink of the
 * kit's own, and closes the system. Every wait is bounded by
 * `options.timeoutMs`, so a source that hangs fails instead of stalling
 * the test run. The cases, after Conduit's acceptance tests:
 *
 * - **delivers every record once, in order** (per partition), and a
 *   finished run releases everything (`leaks()`);
 * - **a rerun resumes right after what the last run stored** (the rerun
 *   starts once the first run released everything, `leaks()`);
 * - **acknowledges only what the sink stored**: a run whose sink stalls
 *   halfway is aborted between read and store; once it released
 *   everything (`leaks()`), the rerun, with the same checkpoint store, must
 *   deliver every record the first run did not store, first and in order
 *   (again, for a `"server"` source: from the server);
 * - **a dead-lettered record counts as done**: it reaches the pipeline's
 *   `deadLetter` once, the others the sink, the server sees it
 *   acknowledged, and a rerun does not deliver it again;
 * - **stop()**, **abort()** mid-stream, and **abort() while waiting for
 *   records**, settle promptly and release everything; breaking out of a
 *   `for await` over the source releases it too;
 * - for `acknowledges: "checkpoint"` sources: **deleting the checkpoint
 *   starts over**, **`reset: "start"` starts over**, **`reset: { position
 *   }` resumes right after that position**.
 *
 * A failed case throws a {@linkcode ConformanceError} naming the
 * connector, the case and what went wrong.
 *
 * @typeParam T The record type.
 * @param harness How to make the source and the system behind it.
 * @param options `test` (the test runner's function), `records`, `timeoutMs`.
 *
 * @example Check a source over an in-memory log
 * ```ts
 * import { resumableSource } from "@ca/streams";
 * import { sourceConformance } from "@ca/streams/testing";
 *
 * // In a test file: sourceConformance(harness, { test }) with node:test's
 * // test, or { test: Deno.test }. Here the cases are collected and run.
 * const cases: Array<() => Promise<void>> = [];
 * sourceConformance<{ id: number }>({
 *   name: "memory log",
 *   record: (index) => ({ id: index }),
 *   open() {
 *     const log: Array<{ id: number }> = [];
 *     return {
 *       source: () =>
 *         resumableSource({
 *           async *open(after) {
 *             const start = after === undefined ? 0 : Number(after) + 1;
 *             for (let i = start; i < log.length; i += 5) {
 *               const records = log.slice(i, i + 5);
 *               yield { records, position: i + records.length - 1 };
 *             }
 *           },
 *         }),
 *       write: (records) => void log.push(...records),
 *       close() {},
 *     };
 *   },
 * }, { test: (_name, fn) => void cases.push(fn), records: 40 });
 * for (const run of cases) await run();
 * ```
 */
export function sourceConformance<T>(
  harness: SourceHarness<T>,
  options: ConformanceOptions,
): void {
  checkHarness("sourceConformance()", harness, ["record", "open"]);
  const acknowledges = harness.acknowledges ?? "checkpoint";
  if (acknowledges !== "checkpoint" && acknowledges !== "server") {
    throw new TypeError(
      `Cannot register sourceConformance(): harness.acknowledges must be "checkpoint" or "server", got ${
        JSON.stringify(acknowledges)
      }`,
    );
  }
  const settings = settingsOf("sourceConformance()", options);
  const suite = new SourceCases(harness, settings.records);
  const cases: Case<SourceFixture<T>>[] = [
    ["delivers every record once, in order", (r, f) => suite.inOrder(r, f)],
    [
      "a rerun resumes right after what the last run stored",
      (r, f) => suite.resumes(r, f),
    ],
    [
      "acknowledges only what the sink stored (abort between read and store, rerun)",
      (r, f) => suite.acknowledgesStored(r, f),
    ],
    [
      "a dead-lettered record counts as done",
      (r, f) => suite.deadLetter(r, f),
    ],
    [
      "stop() mid-stream settles promptly and releases everything",
      (r, f) => suite.stopMidStream(r, f),
    ],
    [
      "abort() mid-stream settles promptly and releases everything",
      (r, f) => suite.abortMidStream(r, f),
    ],
    [
      "abort() while waiting for records settles promptly and releases everything",
      (r, f) => suite.abortIdle(r, f),
    ],
    [
      "breaking out of iterating the source releases everything",
      (r, f) => suite.cancelIteration(r, f),
    ],
  ];
  if (acknowledges === "checkpoint") {
    cases.push(
      [
        "after the checkpoint is deleted, a rerun starts over",
        (r, f) => suite.startsOver(r, f, "delete"),
      ],
      [
        'reset: "start" starts over',
        (r, f) => suite.startsOver(r, f, "reset"),
      ],
      [
        "reset: { position } resumes right after that position",
        (r, f) => suite.resetToPosition(r, f),
      ],
    );
  }
  registerCases(
    harness.name,
    cases,
    () => harness.open(),
    settings,
  );
}

/** The cases, over one harness. */
class SourceCases<T> {
  #harness: SourceHarness<T>;
  #shape: RecordShape<T>;
  #n: number;
  #chunk: number;

  constructor(harness: SourceHarness<T>, n: number) {
    this.#harness = harness;
    this.#shape = shapeOf(harness);
    this.#n = n;
    this.#chunk = Math.ceil(n / 10);
  }

  #records(run: CaseRun, count: number, from = 0): T[] {
    return makeRecords(
      run,
      (i) => this.#harness.record(i),
      this.#shape,
      count,
      from,
    );
  }

  /** Writes `records` into the system in writes of a tenth of a case's records. */
  async #write(
    run: CaseRun,
    fixture: SourceFixture<T>,
    records: readonly T[],
  ): Promise<void> {
    for (let at = 0; at < records.length; at += this.#chunk) {
      const chunk = records.slice(at, at + this.#chunk);
      await callFixture(
        run,
        () => fixture.write(chunk),
        "write() to put the records into the system",
        "write() failed",
      );
    }
  }

  async #source(
    run: CaseRun,
    fixture: SourceFixture<T>,
  ): Promise<ResumableSource<T>> {
    const source = await callFixture(
      run,
      () => fixture.source(),
      "source() to make the source",
      "source() failed",
    );
    if (
      source === null || typeof source !== "object" ||
      !(RESUMABLE_SOURCE in source)
    ) {
      run.fail(
        "source() must return a resumable source (made with resumableSource())",
      );
    }
    return source;
  }

  #start(
    run: CaseRun,
    source: ResumableSource<T>,
    store: CheckpointStore,
    options: StartOptions = {},
  ): Started<T> {
    const shape = this.#shape;
    const watch = new ChangeNotifier();
    const recording = recordingSink(shape, watch, options.stallAt);
    const letters: DeadLetter<T>[] = [];
    const deadLetter = new WritableStream<DeadLetter>({
      write(letter) {
        letters.push(letter as DeadLetter<T>);
        watch.notify();
      },
    });
    const pipelineOptions: PipelineOptions = {
      id: PIPELINE_ID,
      checkpoint: { store, everyRecords: 1, reset: options.reset },
      deadLetter,
    };
    const { rejectKey } = options;
    const started = new PipelineRun(
      run,
      watch,
      "the source",
      () =>
        rejectKey === undefined
          ? pipeline(source, recording.sink, pipelineOptions)
          : pipeline(
            source,
            map((record: T) => {
              if (shape.key(record) === rejectKey) {
                throw new Error(
                  "Cannot process the record: the conformance kit rejects it on purpose",
                );
              }
              return record;
            }),
            recording.sink,
            pipelineOptions,
          ),
    );
    return Object.assign(started, { recording, letters });
  }

  async #receiveAll(
    run: CaseRun,
    started: Started<T>,
    count: number,
    who: string,
  ): Promise<void> {
    await started.until(
      run,
      () => started.recording.records.length >= count,
      () =>
        `${who} to deliver ${count} records (got ${started.recording.records.length})`,
    );
  }

  async inOrder(run: CaseRun, fixture: SourceFixture<T>): Promise<void> {
    const source = await this.#source(run, fixture);
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    const started = this.#start(run, source, memoryStore());
    await this.#receiveAll(run, started, this.#n, "the source");
    await started.stop(run);
    run.check(
      checkExact(started.recording.records, written, this.#shape),
      "in the records read",
    );
    await run.noLeaks(
      fixture.leaks?.bind(fixture),
      "after stop() at the end of the records",
    );
  }

  async resumes(run: CaseRun, fixture: SourceFixture<T>): Promise<void> {
    const store = memoryStore();
    const first = await this.#readAll(run, fixture, store);
    const source = await this.#source(run, fixture);
    const more = this.#records(run, this.#chunk, this.#n);
    await this.#write(run, fixture, more);
    const second = this.#start(run, source, store);
    await this.#receiveAll(run, second, more.length, "the rerun");
    await second.stop(run);
    const again = second.recording.records.find((record) =>
      first.keys.has(this.#shape.key(record))
    );
    if (again !== undefined) {
      run.fail(
        `the rerun delivered record ${
          show(this.#shape.key(again))
        } again, which the first run stored and stopped after (did it resume from the checkpoint?)`,
      );
    }
    run.check(
      checkExact(second.recording.records, more, this.#shape),
      "in the rerun",
    );
  }

  /** Writes a case's records and reads them all in one run, then stops it. */
  async #readAll(
    run: CaseRun,
    fixture: SourceFixture<T>,
    store: CheckpointStore,
    wrap: (source: ResumableSource<T>) => ResumableSource<T> = (s) => s,
  ): Promise<Recording<T>> {
    const source = wrap(await this.#source(run, fixture));
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    const first = this.#start(run, source, store);
    await this.#receiveAll(run, first, this.#n, "the first run");
    await first.stop(run);
    run.check(
      checkExact(first.recording.records, written, this.#shape),
      "in the first run",
    );
    // A rerun comes once the first run let go of its connections, as a
    // restarted process's would: a broker that hands a session over to a
    // new connection may drop what the old one sent last (its acks).
    await run.noLeaks(fixture.leaks?.bind(fixture), "after stop()");
    return first.recording;
  }

  async acknowledgesStored(
    run: CaseRun,
    fixture: SourceFixture<T>,
  ): Promise<void> {
    const store = memoryStore();
    const shape = this.#shape;
    const source = await this.#source(run, fixture);
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    const half = Math.floor(this.#n / 2);
    const first = this.#start(run, source, store, { stallAt: half });
    const stored = first.recording;
    await first.until(
      run,
      () => stored.stalled,
      () =>
        `the first run to store ${half} records and read more (stored ${stored.records.length})`,
    );
    if (!stored.stalled) {
      run.fail(
        stored.records.length >= this.#n
          ? `the source delivered all ${this.#n} records before the sink asked for more, so none was left read but not stored: make it deliver smaller batches`
          : `the source ended after ${stored.records.length} of ${this.#n} records`,
      );
    }
    await first.abort(run, "between read and store");
    run.check(
      checkPrefix(stored.records, written, shape),
      "in the first run",
    );
    // As a restarted process would: the rerun opens once the first run let
    // go of what it held (a server-acknowledged source gives it back then).
    await run.noLeaks(
      fixture.leaks?.bind(fixture),
      "after abort() between read and store",
    );
    const missing = written
      .map((record) => shape.key(record))
      .filter((key) => !stored.keys.has(key));
    const second = this.#start(run, await this.#source(run, fixture), store);
    const got = () => missing.filter((key) => second.recording.keys.has(key));
    await second.until(
      run,
      () => got().length === missing.length,
      () =>
        `the rerun to deliver the ${missing.length} records the first run read but did not store (got ${got().length}; were they acknowledged before the sink stored them?)`,
    );
    await second.stop(run);
    run.check(
      checkResumed(second.recording.records, stored.records, written, shape),
      "after an abort between read and store",
    );
  }

  async deadLetter(run: CaseRun, fixture: SourceFixture<T>): Promise<void> {
    const store = memoryStore();
    const shape = this.#shape;
    const source = await this.#source(run, fixture);
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    const bad = written[Math.floor(this.#n / 3)]!;
    const badKey = shape.key(bad);
    const first = this.#start(run, source, store, { rejectKey: badKey });
    await first.until(
      run,
      () =>
        first.recording.records.length >= this.#n - 1 &&
        first.letters.length >= 1,
      () =>
        `${
          this.#n - 1
        } records in the sink and 1 in the dead letter (got ${first.recording.records.length} and ${first.letters.length})`,
    );
    if (fixture.acknowledged) {
      const acknowledged = await run.within(
        settle(fixture.acknowledged()),
        "acknowledged() to resolve, with every record stored or dead-lettered",
      );
      if (!acknowledged.ok) {
        run.fail("acknowledged() failed", acknowledged.error);
      }
    }
    const summary = await first.stop(run);
    const letters = first.letters;
    if (letters.length !== 1 || shape.key(letters[0]!.record) !== badKey) {
      run.fail(
        `the dead letter got ${
          letters.map((letter) => show(shape.key(letter.record))).join(", ") ||
          "nothing"
        }, expected record ${show(badKey)} once`,
      );
    }
    if (letters[0]!.stageIndex !== 0 || summary.recordsDeadLettered !== 1) {
      run.fail(
        `the dead letter names stage ${
          letters[0]!.stageIndex
        } and the summary counts ${summary.recordsDeadLettered}, expected stage 0 and 1`,
      );
    }
    run.check(
      checkExact(
        first.recording.records,
        written.filter((record) => record !== bad),
        shape,
      ),
      "in the records stored beside the dead letter",
    );
    const again = await this.#source(run, fixture);
    const more = this.#records(run, 1, this.#n);
    await this.#write(run, fixture, more);
    const second = this.#start(run, again, store);
    await this.#receiveAll(run, second, 1, "the rerun");
    await second.stop(run);
    if (second.recording.keys.has(badKey)) {
      run.fail(
        `the rerun delivered the dead-lettered record ${
          show(badKey)
        } again: it was not counted as done`,
      );
    }
    run.check(
      checkExact(second.recording.records, more, shape),
      "in the rerun after the dead letter",
    );
  }

  async stopMidStream(run: CaseRun, fixture: SourceFixture<T>): Promise<void> {
    const source = await this.#source(run, fixture);
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    const started = this.#start(run, source, memoryStore());
    await this.#receiveAll(run, started, 1, "the source");
    const summary = await started.stop(run);
    run.check(
      checkPrefix(started.recording.records, written, this.#shape),
      "in the records stored before stop()",
    );
    checkAllReadStored(run, summary);
    await run.noLeaks(fixture.leaks?.bind(fixture), "after stop() mid-stream");
  }

  async abortMidStream(run: CaseRun, fixture: SourceFixture<T>): Promise<void> {
    const source = await this.#source(run, fixture);
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    // The sink holds back its second write, so the run cannot end first.
    const started = this.#start(run, source, memoryStore(), { stallAt: 1 });
    await started.until(
      run,
      () => started.recording.stalled,
      () => "the sink to store a first batch and get a second",
    );
    if (!started.recording.stalled) {
      const got = started.recording.records.length;
      run.fail(
        got >= this.#n
          ? `the source delivered all ${this.#n} records in one batch, so abort() could not land mid-stream: make it deliver smaller batches`
          : `the source ended after ${got} of ${this.#n} records`,
      );
    }
    await started.abort(run, "mid-stream");
    run.check(
      checkPrefix(started.recording.records, written, this.#shape),
      "in the records stored before abort()",
    );
    await run.noLeaks(fixture.leaks?.bind(fixture), "after abort() mid-stream");
  }

  async abortIdle(run: CaseRun, fixture: SourceFixture<T>): Promise<void> {
    const source = await this.#source(run, fixture);
    const started = this.#start(run, source, memoryStore());
    // Give the source a few turns of the event loop to start waiting.
    await sleep(20);
    if (started.settled) {
      await started.checkOutcome(run);
    } else {
      await started.abort(run, "while waiting for records");
    }
    if (started.recording.records.length > 0) {
      run.fail(
        `the source delivered ${started.recording.records.length} record(s) though none was written`,
      );
    }
    await run.noLeaks(
      fixture.leaks?.bind(fixture),
      "after abort() while waiting for records",
    );
  }

  async cancelIteration(
    run: CaseRun,
    fixture: SourceFixture<T>,
  ): Promise<void> {
    const source = await this.#source(run, fixture);
    const written = this.#records(run, this.#n);
    await this.#write(run, fixture, written);
    const iterator = source[Symbol.asyncIterator]();
    const first = await run.within(
      settle(iterator.next()),
      "the first record of iterating the source",
    );
    if (!first.ok) run.fail("iterating the source failed", first.error);
    if (first.value.done) {
      run.fail("iterating the source ended before the first record");
    }
    const key = this.#shape.key(first.value.value);
    if (key !== this.#shape.key(written[0]!)) {
      run.fail(
        `iterating the source gave record ${show(key)} first, expected ${
          show(this.#shape.key(written[0]!))
        }`,
      );
    }
    const returned = await run.within(
      settle(Promise.resolve(iterator.return?.())),
      "return() on the source's iterator (a break out of for await) to settle",
    );
    if (!returned.ok) {
      run.fail("return() on the source's iterator failed", returned.error);
    }
    await run.noLeaks(
      fixture.leaks?.bind(fixture),
      "after breaking out of iterating the source",
    );
  }

  async startsOver(
    run: CaseRun,
    fixture: SourceFixture<T>,
    how: "delete" | "reset",
  ): Promise<void> {
    const store = memoryStore();
    const first = await this.#readAll(run, fixture, store);
    if (how === "delete") await store.delete(PIPELINE_ID);
    const second = this.#start(
      run,
      await this.#source(run, fixture),
      store,
      how === "reset" ? { reset: "start" } : {},
    );
    await this.#receiveAll(run, second, this.#n, "the rerun");
    await second.stop(run);
    run.check(
      checkExact(second.recording.records, first.records, this.#shape),
      how === "delete"
        ? "in the rerun after the checkpoint was deleted"
        : 'in the rerun with reset: "start"',
    );
  }

  async resetToPosition(
    run: CaseRun,
    fixture: SourceFixture<T>,
  ): Promise<void> {
    const store = memoryStore();
    const batches: Array<{ count: number; position: Position }> = [];
    const first = await this.#readAll(
      run,
      fixture,
      store,
      (source) => observed(source, batches),
    );
    let middle: { count: number; position: Position } | undefined;
    for (const batch of batches) {
      if (batch.count <= 0 || batch.count >= this.#n) continue;
      if (
        middle === undefined ||
        Math.abs(batch.count - this.#n / 2) <
          Math.abs(middle.count - this.#n / 2)
      ) middle = batch;
    }
    if (middle === undefined) {
      run.fail(
        `the source delivered all ${this.#n} records in one batch, so no position lies between them: make it deliver smaller batches`,
      );
    }
    const want = first.records.slice(middle.count);
    const second = this.#start(run, await this.#source(run, fixture), store, {
      reset: { position: middle.position },
    });
    await this.#receiveAll(run, second, want.length, "the rerun");
    await second.stop(run);
    run.check(
      checkExact(second.recording.records, want, this.#shape),
      `in the rerun with reset: { position: ${
        describeError(JSON.stringify(middle.position), 60)
      } } (the end of record ${middle.count - 1})`,
    );
  }
}

/**
 * The same source, noting each batch's position and how many records had
 * been read by its end.
 */
function observed<T>(
  source: ResumableSource<T>,
  batches: Array<{ count: number; position: Position }>,
): ResumableSource<T> {
  const init = source[RESUMABLE_SOURCE];
  let count = 0;
  return resumableSource<T>({
    name: init.name,
    async *open(after, options) {
      const opened = init.open(after, options);
      const iterable: AsyncIterable<SourceBatch<T>> =
        opened instanceof ReadableStream ? iterate(opened) : opened;
      for await (const batch of iterable) {
        count += batch.records?.length ?? 0;
        batches.push({ count, position: batch.position });
        yield batch;
      }
    },
    ack: init.ack && ((position) => init.ack!(position)),
  });
}

async function* iterate<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
