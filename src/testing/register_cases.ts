// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeValue } from "../util/describe_value.ts";
import { CaseRun, settle } from "./case_run.ts";
import { ConformanceError } from "./conformance_error.ts";
import type { ConformanceOptions } from "./conformance_options.ts";
import type { TestFunction } from "./test_function.ts";

/** The options of a suite, checked, with defaults filled in. */
export interface Settings {
  test: TestFunction;
  records: number;
  timeoutMs: number;
}

/** One case: its name and its body, run against a fresh fixture. */
export type Case<F> = [
  name: string,
  body: (run: CaseRun, fixture: F) => Promise<void>,
];

/** Checks a harness's common fields; throws `TypeError` naming the first bad one. */
export function checkHarness(
  caller: string,
  harness: unknown,
  functions: readonly string[],
): void {
  if (harness === null || typeof harness !== "object") {
    throw new TypeError(
      `Cannot register ${caller}: harness must be an object, got ${
        describeValue(harness)
      }`,
    );
  }
  const fields = harness as Record<string, unknown>;
  if (typeof fields.name !== "string" || fields.name === "") {
    throw new TypeError(
      `Cannot register ${caller}: harness.name must be a non-empty string, got ${
        describeValue(fields.name)
      }`,
    );
  }
  for (const name of functions) {
    if (typeof fields[name] !== "function") {
      throw new TypeError(
        `Cannot register ${caller}: harness.${name} must be a function, got ${
          describeValue(fields[name])
        }`,
      );
    }
  }
  for (const name of ["key", "partition", "same", "badRecord"]) {
    if (fields[name] !== undefined && typeof fields[name] !== "function") {
      throw new TypeError(
        `Cannot register ${caller}: harness.${name} must be a function when given, got ${
          describeValue(fields[name])
        }`,
      );
    }
  }
}

/** Checks the options; throws `TypeError` or `RangeError`. */
export function settingsOf(
  caller: string,
  options: ConformanceOptions,
): Settings {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot register ${caller}: options must be an object with a test function, got ${
        describeValue(options)
      }`,
    );
  }
  if (typeof options.test !== "function") {
    throw new TypeError(
      `Cannot register ${caller}: options.test must be a function such as your runner's test(name, fn), got ${
        describeValue(options.test)
      }`,
    );
  }
  const records = options.records ?? 100;
  if (!Number.isSafeInteger(records) || records < 4) {
    throw new RangeError(
      `Cannot register ${caller}: options.records must be an integer of at least 4, got ${records}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(
      `Cannot register ${caller}: options.timeoutMs must be a positive number, got ${timeoutMs}`,
    );
  }
  return { test: options.test, records, timeoutMs };
}

/**
 * Registers each case as a test named `<connector>: <case>`. A test opens
 * a fresh fixture, runs the case, and closes the fixture whatever
 * happened; a failure to close fails a case that passed.
 */
export function registerCases<F extends { close(): void | Promise<void> }>(
  connector: string,
  cases: readonly Case<F>[],
  open: () => F | Promise<F>,
  settings: Settings,
): void {
  for (const [name, body] of cases) {
    settings.test(`${connector}: ${name}`, async () => {
      const run: CaseRun = new CaseRun(connector, name, settings.timeoutMs);
      const opened = await run.within(
        settle(Promise.resolve().then(open)),
        "open() to set up the system",
      );
      if (!opened.ok) run.fail("open() failed", opened.error);
      const fixture = opened.value;
      if (fixture === null || typeof fixture !== "object") {
        run.fail(
          `open() must return a fixture object, got ${describeValue(fixture)}`,
        );
      }
      let failure: { error: unknown } | undefined;
      try {
        await body(run, fixture);
      } catch (error) {
        failure = { error };
      }
      const closed = await settle(
        run.within(
          settle(Promise.resolve().then(() => fixture.close())),
          "close() to tear the system down",
        ),
      );
      if (failure) throw failure.error;
      if (!closed.ok) throw closed.error;
      if (!closed.value.ok) {
        throw new ConformanceError(
          connector,
          name,
          `close() failed: ${String(closed.value.error)}`,
          { cause: closed.value.error },
        );
      }
    });
  }
}
