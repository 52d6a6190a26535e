// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ResumableSource } from "../sources/resumable_source.ts";

/**
 * One case's system behind a source under test: made by
 * {@linkcode SourceHarness.open} for every case and closed after it, so
 * cases never see each other's records.
 *
 * @typeParam T The record type.
 *
 * @example A fixture over an in-memory log
 * ```ts
 * import { resumableSource } from "@ca/streams";
 * import type { SourceFixture } from "@ca/streams/testing";
 *
 * const log: string[] = [];
 * const fixture: SourceFixture<string> = {
 *   source: () =>
 *     resumableSource<string>({
 *       async *open(after) {
 *         const start = after === undefined ? 0 : Number(after) + 1;
 *         for (let i = start; i < log.length; i++) {
 *           yield { records: [log[i]!], position: i };
 *         }
 *       },
 *     }),
 *   write: (records) => void log.push(...records),
 *   close: () => void (log.length = 0),
 * };
 * await fixture.write(["a", "b"]);
 * const read = await Array.fromAsync(await fixture.source());
 * if (read.join() !== "a,b") throw new Error(`unexpected ${read}`);
 * await fixture.close();
 * ```
 */
export interface SourceFixture<T> {
  /**
   * Makes the source over this fixture's system, as a process starting a
   * pipeline would. Called once per run, and again for each rerun in a
   * case (after a stop or an abort), before the records of that run are
   * written. It may return the same object each time when the source can
   * be read by one pipeline after another.
   */
  source(): ResumableSource<T> | Promise<ResumableSource<T>>;
  /**
   * Puts records into the system behind the source, after those written
   * before, in order. Resolves once the system holds them; for a system
   * that pushes records to the source and waits for its acknowledgement (a
   * channel writer, an HTTP sender), once they are on their way: the kit
   * does not wait for them to be read before it starts the pipeline.
   */
  write(records: readonly T[]): void | Promise<void>;
  /**
   * With `acknowledges: "server"`: resolves once the system behind the
   * source holds every record written so far as acknowledged (the
   * writer's pipeline ended, every request got a 2xx). The dead-letter
   * case waits on it while the pipeline runs: a record sent to the dead
   * letter is done, and must be acknowledged like a stored one.
   */
  acknowledged?(): Promise<void>;
  /**
   * What the source still holds, one description per resource (`"socket
   * 127.0.0.1:4242"`, `"file in.ndjson"`, `"2 timers"`); empty when it holds
   * nothing. The kit calls it after `stop()`, `abort()` and a cancelled
   * iteration, again and again until it is empty or `timeoutMs` passed.
   * Count only what the source holds, not the system behind it.
   */
  leaks?(): readonly string[] | Promise<readonly string[]>;
  /** Tears the system down after the case, whether it passed or failed. */
  close(): void | Promise<void>;
}
