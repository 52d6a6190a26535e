// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One case's system behind a sink under test: made by
 * {@linkcode SinkHarness.open} for every case and closed after it.
 *
 * @typeParam T The record type.
 *
 * @example A fixture over an in-memory table
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import type { SinkFixture } from "@ca/streams/testing";
 *
 * const table: number[] = [];
 * const fixture: SinkFixture<number> = {
 *   sink: () => batchSink<number>({ write: (rows) => void table.push(...rows) }),
 *   read: () => table,
 *   close: () => void (table.length = 0),
 * };
 * await pipeline([1, 2, 3], await fixture.sink());
 * if ((await fixture.read()).join() !== "1,2,3") throw new Error("not stored");
 * await fixture.close();
 * ```
 */
export interface SinkFixture<T> {
  /**
   * Makes the sink over this fixture's system, as a process starting a
   * pipeline would. Called once per run, and again for the rerun of a case.
   */
  sink(): WritableStream<T> | Promise<WritableStream<T>>;
  /**
   * Reads back every record the system holds, in the order stored. The kit
   * calls it at each checkpoint commit, to check that what the sink
   * acknowledged is really stored, and after each run. It runs while the
   * sink keeps writing: read what the system holds when it is called (a
   * queue's current length, a stream's last id), not until it is empty.
   */
  read(): readonly T[] | Promise<readonly T[]>;
  /**
   * What the sink still holds, one description per resource (`"socket
   * to 127.0.0.1:4242"`, `"file out.ndjson"`, `"1 timer"`); empty when it
   * holds nothing. The kit calls it after a run ends, stops or aborts,
   * again and again until it is empty or `timeoutMs` passed. Count only
   * what the sink holds, not the system behind it.
   */
  leaks?(): readonly string[] | Promise<readonly string[]>;
  /** Tears the system down after the case, whether it passed or failed. */
  close(): void | Promise<void>;
}
