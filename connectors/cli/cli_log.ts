// Copyright 2026 the @ca/streams authors. MIT license.

import type { CliRuntime } from "./cli_runtime.ts";

/** How `ca` writes its lines on stderr: `"text"` or `"json"` (`--log-format`). */
export type LogFormat = "text" | "json";

/** What a log line is about, the `event` of a JSON line. */
export type LogEvent =
  | "issue"
  | "error"
  | "runner"
  | "runner-output"
  | "signal"
  | "progress"
  | "summary"
  | "connect"
  | "serve";

/** The lines `ca` writes on stderr. */
export interface CliLog {
  /** The format. */
  readonly format: LogFormat;
  /**
   * Writes one line: `text` as it is, or with `"json"` one JSON object
   * `{ time, level, event, message: text, ...fields }`.
   */
  write(
    level: "info" | "error",
    event: LogEvent,
    text: string,
    fields?: Record<string, unknown>,
  ): void;
}

/**
 * The log of `ca` on stderr, in text or JSON lines.
 *
 * @param runtime Where stderr is.
 * @param format `"text"` or `"json"`.
 * @returns The log.
 */
export function cliLog(runtime: CliRuntime, format: LogFormat): CliLog {
  return {
    format,
    write(level, event, text, fields = {}) {
      if (format === "text") return runtime.writeStderr(`${text}\n`);
      runtime.writeStderr(
        JSON.stringify({
          time: new Date().toISOString(),
          level,
          event,
          message: text.replace(/^ca: /, ""),
          ...fields,
        }) + "\n",
      );
    },
  };
}
