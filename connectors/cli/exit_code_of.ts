// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import { EXIT_CODES } from "./exit_codes.ts";

/**
 * The exit code of a failure: `config` (2) for what a config check can
 * tell (a `ConfigError`; a missing optional package, code
 * `CA_ERR_MISSING_PACKAGE`), else `fallback`.
 *
 * @param error What was thrown, or a child runner's error message.
 * @param fallback The code of any other failure where it happened: 3 when
 * starting a runner or store, 1 when running.
 * @returns The exit code.
 */
export function exitCodeOf(error: unknown, fallback: number): number {
  if (error instanceof ConfigError) return EXIT_CODES.config;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "CA_ERR_CONFIG" || code === "CA_ERR_MISSING_PACKAGE") {
    return EXIT_CODES.config;
  }
  return fallback;
}
