// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { ConformanceError } from "./conformance_error.ts";
import { describeError } from "../errors/describe_error.ts";
import type { ChangeNotifier } from "../channel/change_notifier.ts";

/** How a promise settled. */
export type Settled<T> =
  | { ok: true; value: T }
  | { ok: false; error: unknown };

/** Never rejects: tells how `promise` settled. */
export function settle<T>(promise: PromiseLike<T>): Promise<Settled<T>> {
  return Promise.resolve(promise).then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );
}

/** Waits `ms`, or less when `signal` aborts; leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** What a fixture may report as still held. */
export type LeakCheck = () => readonly string[] | Promise<readonly string[]>;

/**
 * One case of a conformance suite while it runs: fails it with a
 * {@linkcode ConformanceError} and bounds every wait by `timeoutMs`.
 */
export class CaseRun {
  readonly connector: string;
  readonly testCase: string;
  readonly timeoutMs: number;

  constructor(connector: string, testCase: string, timeoutMs: number) {
    this.connector = connector;
    this.testCase = testCase;
    this.timeoutMs = timeoutMs;
  }

  /** Fails the case. */
  fail(reason: string, cause?: unknown): never {
    throw new ConformanceError(
      this.connector,
      this.testCase,
      cause === undefined ? reason : `${reason}: ${describeError(cause)}`,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Fails the case when `problem` describes one. */
  check(problem: string | undefined, context: string): void {
    if (problem !== undefined) this.fail(`${context}: ${problem}`);
  }

  /**
   * Resolves as `promise` does, or fails the case when it has not settled
   * within `timeoutMs`: `what` names it ("stop() to settle").
   */
  async within<T>(promise: PromiseLike<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = Symbol("late");
    try {
      const winner = await Promise.race([
        promise,
        new Promise<typeof late>((resolve) => {
          timer = setTimeout(() => resolve(late), this.timeoutMs);
        }),
      ]);
      if (winner === late) {
        this.fail(`${what} did not happen within ${this.timeoutMs} ms`);
      }
      return winner as T;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits until `condition()` holds, checking again at every notification
   * of `watch`; fails the case after `timeoutMs` with `what()` (which may
   * tell how far it got).
   */
  async until(
    condition: () => boolean,
    watch: ChangeNotifier,
    what: () => string,
  ): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.fail(`timed out after ${this.timeoutMs} ms waiting for ${what()}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        watch.changed,
        new Promise<void>((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
  }

  /**
   * Polls `leaks` until it reports nothing, failing the case when it still
   * reports something after `timeoutMs`. No timer of the kit runs while
   * `leaks` is called.
   */
  async noLeaks(leaks: LeakCheck | undefined, when: string): Promise<void> {
    if (leaks === undefined) return;
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      let held: readonly string[];
      try {
        held = await leaks();
      } catch (error) {
        this.fail(`leaks() threw ${when}`, error);
      }
      if (held.length === 0) return;
      if (Date.now() >= deadline) {
        this.fail(
          `${when}, the connector still holds ${
            held.join(", ")
          } after ${this.timeoutMs} ms`,
        );
      }
      await sleep(10);
    }
  }
}
