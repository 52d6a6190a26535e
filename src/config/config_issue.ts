// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One thing wrong with a pipeline config, as data. It prints as
 * `path: message`, such as
 * `/processors/2/args/url: expected a URL, got "htp:/x"`.
 *
 * @example Print an issue
 * ```ts
 * import type { ConfigIssue } from "@ca/streams/config";
 *
 * const issue: ConfigIssue = {
 *   path: "/processors/1/runner",
 *   message: 'expected one of "runner-1", "runner-2", got "runner-9"',
 *   expected: 'one of "runner-1", "runner-2"',
 *   received: '"runner-9"',
 * };
 * console.log(`${issue.path}: ${issue.message}`);
 * ```
 */
export interface ConfigIssue {
  /**
   * Where: a JSON pointer into the config (`"/processors/2/args/url"`);
   * `""` for the whole file, as for a syntax error.
   */
  path: string;
  /** What is wrong, in words: `expected a URL, got "htp:/x"`. */
  message: string;
  /** What belongs there, in words, when known: `"a URL"`. */
  expected?: string;
  /** A short rendering of what was there, when known: `'"htp:/x"'`. */
  received?: string;
  /** The 1-based line in the config text, for a syntax error. */
  line?: number;
  /** The 1-based column in the config text, for a syntax error. */
  column?: number;
}
