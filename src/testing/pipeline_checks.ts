// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// What the source and the sink conformance cases share about the fixtures
// they call and the pipelines they run. Internal to the kit: src/testing/
// mod.ts does not export it.

import type { ChangeNotifier } from "../channel/change_notifier.ts";
import type { PipelineSummary, RunningPipeline } from "../pipeline/pipeline.ts";
import { type CaseRun, settle, type Settled } from "./case_run.ts";

/** The pipeline id, so the checkpoint's key, of every run of a case. */
export const PIPELINE_ID = "conformance";

/**
 * Calls a function of the harness's fixture (`sink()`, `read()`,
 * `write()`, ...) within the case's timeout, so a throw and a rejection
 * alike fail the case.
 *
 * @param run The case.
 * @param call Calls the fixture.
 * @param what The wait, for a timeout: `"sink() to make the sink"`.
 * @param failed The failure when it throws or rejects: `"sink() failed"`.
 * @returns What the fixture returned, awaited.
 */
export async function callFixture<R>(
  run: CaseRun,
  call: () => R | PromiseLike<R>,
  what: string,
  failed: string,
): Promise<R> {
  const result = await run.within(settle(Promise.resolve().then(call)), what);
  if (!result.ok) run.fail(failed, result.error);
  return result.value;
}

/**
 * Fails the case unless a pipeline stopped mid-stream let every record it
 * had read reach the sink, as a graceful `stop()` must.
 *
 * @param run The case.
 * @param summary What `stop()` resolved with.
 */
export function checkAllReadStored(
  run: CaseRun,
  summary: PipelineSummary,
): void {
  if (summary.recordsRead !== summary.recordsWritten) {
    run.fail(
      `stop() must let every record already read reach the sink: ${summary.recordsRead} read, ${summary.recordsWritten} stored`,
    );
  }
}

/**
 * A pipeline a case started: it notes when the pipeline settles (and
 * notifies `watch` then), and waits on, stops and aborts it within the
 * case's timeout, failing the case with the kit's messages.
 */
export class PipelineRun {
  readonly running: RunningPipeline;
  readonly watch: ChangeNotifier;
  /** Resolves once the pipeline settled; never rejects. */
  readonly outcome: Promise<Settled<PipelineSummary>>;
  #settled = false;

  /**
   * Starts the pipeline; fails the case when `pipeline()` throws.
   *
   * @param run The case.
   * @param watch Notified when the pipeline settles.
   * @param refused What the case passed in, for `pipeline() refused the sink`.
   * @param start Calls `pipeline()`.
   */
  constructor(
    run: CaseRun,
    watch: ChangeNotifier,
    refused: string,
    start: () => RunningPipeline,
  ) {
    let running: RunningPipeline;
    try {
      running = start();
    } catch (error) {
      run.fail(`pipeline() refused ${refused}`, error);
    }
    this.running = running;
    this.watch = watch;
    this.outcome = settle(running).then((result) => {
      this.#settled = true;
      watch.notify();
      return result;
    });
  }

  /** Whether the pipeline settled. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Waits for the pipeline to settle; fails the case when it failed. */
  async checkOutcome(run: CaseRun): Promise<void> {
    const outcome = await this.outcome;
    if (!outcome.ok) run.fail("the pipeline failed", outcome.error);
  }

  /** Waits for the pipeline to end by itself; fails the case when it failed. */
  async ended(run: CaseRun, what: string): Promise<PipelineSummary> {
    const outcome = await run.within(this.outcome, what);
    if (!outcome.ok) run.fail("the pipeline failed", outcome.error);
    return outcome.value;
  }

  /**
   * Waits until `condition()` holds or the pipeline settled; fails the case
   * when the pipeline failed first.
   */
  async until(
    run: CaseRun,
    condition: () => boolean,
    what: () => string,
  ): Promise<void> {
    await run.until(() => condition() || this.#settled, this.watch, what);
    if (condition()) return;
    await this.checkOutcome(run);
  }

  /** Stops the pipeline; fails the case when it failed. */
  async stop(run: CaseRun): Promise<PipelineSummary> {
    const stopped = await run.within(
      settle(this.running.stop()),
      "stop() to settle",
    );
    if (!stopped.ok) run.fail("the pipeline failed", stopped.error);
    return stopped.value;
  }

  /** Aborts with a reason of the kit's own; the pipeline must reject with it. */
  async abort(run: CaseRun, when: string): Promise<void> {
    const reason = new Error(`conformance: abort() ${when}`);
    await run.within(this.running.abort(reason), `abort() ${when} to settle`);
    const outcome = await run.within(
      this.outcome,
      `the pipeline to settle after abort() ${when}`,
    );
    if (outcome.ok) {
      run.fail(
        `after abort() ${when}, the pipeline resolved instead of rejecting with the abort reason`,
      );
    }
    if (outcome.error !== reason) {
      run.fail(
        `after abort() ${when}, the pipeline rejected with another error than the abort reason`,
        outcome.error,
      );
    }
  }
}
