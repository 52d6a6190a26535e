// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import { formatIssue } from "../../src/config/format_issue.ts";
import { describeError } from "../../src/errors/describe_error.ts";

/**
 * An error as one line of text, without a stack: its message (line breaks
 * become "; "), or for a `ConfigError` its issues; an error with an empty
 * message (Node's `AggregateError` of a refused connection) gives its
 * errors' messages, or its `code`.
 *
 * @param error What was thrown.
 * @returns The line.
 */
export function errorLine(error: unknown): string {
  if (error instanceof ConfigError) {
    return error.issues.map(formatIssue).join("; ");
  }
  let text = describeError(error);
  if (text === "" && error instanceof Error) {
    const inner = (error as { errors?: unknown[] }).errors;
    const code = (error as { code?: unknown }).code;
    text = Array.isArray(inner) && inner.length > 0
      ? [...new Set(inner.map(errorLine))].join("; ")
      : typeof code === "string"
      ? code
      : error.name;
  }
  return text.split(/\r?\n/).map((part) => part.trim()).filter((part) =>
    part !== ""
  ).join("; ");
}
