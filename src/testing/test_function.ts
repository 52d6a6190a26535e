// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Registers one test with a test runner: `Deno.test` and `node:test`'s
 * `test` both fit, as does any function with the same call shape
 * (`(name, fn)`). The conformance suites take it as an option, so the kit
 * itself imports no test runner.
 *
 * @example A test function that collects the cases to run them itself
 * ```ts
 * import type { TestFunction } from "@ca/streams/testing";
 *
 * const cases: Array<{ name: string; fn: () => Promise<void> }> = [];
 * const collect: TestFunction = (name, fn) => void cases.push({ name, fn });
 * collect("adds", async () => {
 *   if (1 + 1 !== 2) throw new Error("arithmetic");
 * });
 * for (const { fn } of cases) await fn();
 * ```
 */
export type TestFunction = (
  name: string,
  fn: () => Promise<void>,
) => unknown;
