// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// The shared setup of the kit's own tests (sink_conformance_test.ts and
// source_conformance_test.ts): run every case a suite registers, then check
// which passed and which failed how. Not part of the package: mod.ts does
// not export it and deno.json's publish.exclude leaves it out. It lives in
// src/, so it stays web-only (no node:assert): a failed check throws an Error.

import { ConformanceError } from "./conformance_error.ts";
import type { ConformanceOptions } from "./conformance_options.ts";
import type { TestFunction } from "./test_function.ts";

/**
 * Registers `suite` over `harness` with few records and short waits (so a
 * broken connector fails fast), then runs every case it registered, one
 * after the other.
 *
 * @param suite `sinkConformance` or `sourceConformance`.
 * @param harness The harness under test.
 * @returns The error of each case by its name (without the connector), or undefined.
 */
export async function runSuite<H>(
  suite: (harness: H, options: ConformanceOptions) => void,
  harness: H,
): Promise<Map<string, unknown>> {
  const cases: Array<[string, () => Promise<void>]> = [];
  const test: TestFunction = (name, fn) => void cases.push([name, fn]);
  suite(harness, { test, records: 20, timeoutMs: 300 });
  const results = new Map<string, unknown>();
  for (const [name, fn] of cases) {
    try {
      await fn();
      results.set(name.slice(name.indexOf(": ") + 2), undefined);
    } catch (error) {
      results.set(name.slice(name.indexOf(": ") + 2), error);
    }
  }
  return results;
}

/**
 * Throws unless `count` cases ran and every one passed.
 *
 * @param results What {@linkcode runSuite} returned.
 * @param count How many cases the suite registers.
 */
export function assertAllPass(
  results: Map<string, unknown>,
  count: number,
): void {
  if (results.size !== count) {
    throw new Error(`expected ${count} cases, got ${results.size}`);
  }
  for (const [name, error] of results) {
    if (error !== undefined) throw new Error(`${name}: ${error}`);
  }
}

/**
 * Throws unless the case `testCase` failed with a {@linkcode ConformanceError}
 * about itself whose reason matches `pattern`.
 *
 * @param results What {@linkcode runSuite} returned.
 * @param testCase The case's name.
 * @param pattern What the reason must say.
 */
export function assertFails(
  results: Map<string, unknown>,
  testCase: string,
  pattern: RegExp,
): void {
  if (!results.has(testCase)) throw new Error(`no case named "${testCase}"`);
  const error = results.get(testCase);
  if (!(error instanceof ConformanceError)) {
    throw new Error(
      `"${testCase}" should fail with a ConformanceError, got ${error}`,
    );
  }
  if (error.testCase !== testCase) {
    throw new Error(
      `"${testCase}" failed with a ConformanceError of case "${error.testCase}"`,
    );
  }
  if (!pattern.test(error.reason)) {
    throw new Error(
      `"${testCase}" should fail with a reason matching ${pattern}, got: ${error.reason}`,
    );
  }
}
