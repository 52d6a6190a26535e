// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import { formatIssue } from "../../src/config/format_issue.ts";
import type { CliLog } from "./cli_log.ts";
import { errorLine } from "./error_line.ts";
import { exitCodeOf } from "./exit_code_of.ts";

/**
 * Reports why a config cannot be checked or run, in lines that each name
 * the file: one per issue of a `ConfigError`
 * (`ca: x.yaml: /checkpoint/store/url: expected ...`), else one line with
 * the error's message. No stack trace, unless `debug`.
 *
 * @param log Where the lines go.
 * @param file The config file, as given (`<stdin>` for `-`).
 * @param error What was thrown.
 * @param options `fallback`: the exit code unless it is a config error
 * (2); `debug`: add the stack trace.
 * @returns The exit code.
 */
export function reportFailure(
  log: CliLog,
  file: string,
  error: unknown,
  options: { fallback: number; debug: boolean },
): number {
  const exitCode = exitCodeOf(error, options.fallback);
  if (error instanceof ConfigError) {
    for (const issue of error.issues) {
      log.write("error", "issue", `ca: ${file}: ${formatIssue(issue)}`, {
        file,
        exitCode,
        ...issue,
      });
    }
  } else {
    const code = (error as { code?: unknown } | null)?.code;
    log.write("error", "error", `ca: ${file}: ${errorLine(error)}`, {
      file,
      exitCode,
      ...(typeof code === "string" ? { code } : {}),
    });
  }
  if (options.debug && error instanceof Error && error.stack) {
    log.write("error", "error", error.stack, { stack: error.stack });
  }
  return exitCode;
}
