// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConfigIssue } from "./config_issue.ts";
import { formatIssue } from "./format_issue.ts";

/**
 * Thrown when a pipeline config cannot be loaded: a syntax error, a wrong
 * structure, an unknown processor, bad args, an unset environment
 * variable. `issues` lists every problem found, not just the first; the
 * message shows them one per line:
 *
 * ```text
 * Cannot load pipeline config: /processors/2/args/url: expected a URL, got "htp:/x"
 *   /processors/3/runner: expected one of "runner-1", "runner-2", got "runner-9"
 * ```
 *
 * @example Print every issue
 * ```ts
 * import { ConfigError, parsePipelineConfig } from "@ca/streams/config";
 *
 * try {
 *   await parsePipelineConfig("id: demo\nrunners: {}\n", { env: {} });
 *   throw new Error("expected a ConfigError");
 * } catch (error) {
 *   if (!(error instanceof ConfigError)) throw error;
 *   for (const issue of error.issues) console.log(issue.path, issue.message);
 *   if (error.code !== "CA_ERR_CONFIG") throw error;
 * }
 * ```
 */
export class ConfigError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_CONFIG" = "CA_ERR_CONFIG";
  /** Every problem found, in the order of the config; at least one. */
  readonly issues: ConfigIssue[];

  /**
   * Creates a config error; the message is made of the issues.
   *
   * @param issues What is wrong; at least one.
   * @param options `cause`: the underlying error, such as a `SyntaxError`.
   */
  constructor(issues: ConfigIssue[], options: { cause?: unknown } = {}) {
    const [first, ...rest] = issues;
    const head = first === undefined
      ? "Cannot load pipeline config: it is invalid"
      : `Cannot load pipeline config: ${formatIssue(first)}`;
    super(
      [head, ...rest.map((issue) => `  ${formatIssue(issue)}`)].join("\n"),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ConfigError";
    this.issues = issues;
  }

  /** The error as JSON: code, message and issues. */
  toJSON(): { code: "CA_ERR_CONFIG"; message: string; issues: ConfigIssue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}
