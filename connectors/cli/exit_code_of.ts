// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import { EXIT_CODES } from "./exit_codes.ts";

/**
 * The exit code of a failure: `config` (2) for what a config check can
 * tell (a `ConfigError`; a missing optional package, code
 * `CA_ERR_MISSING_PACKAGE`); `runner` (3) when a connector could not reach
 * its server as the run started (a `NatsConnectError`, or a connector
 * error whose `action` is `"connect to ..."`, anywhere in the `cause`
 * chain: a pipeline wraps it in a `StageError`); else `fallback`.
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
  if (fallback === EXIT_CODES.failed && unreachable(error)) {
    return EXIT_CODES.runner;
  }
  return fallback;
}

/** Whether a connector failed to connect to its server, at any depth of causes. */
function unreachable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && current != null; depth++) {
    const { code, action, cause } = current as {
      code?: unknown;
      action?: unknown;
      cause?: unknown;
    };
    if (code === "CA_ERR_NATS_CONNECT") return true;
    if (
      typeof code === "string" && code.startsWith("CA_ERR_") &&
      typeof action === "string" && action.startsWith("connect to ")
    ) return true;
    current = cause;
  }
  return false;
}
