// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "../errors/describe_error.ts";
import type { ConnectorFailure } from "./connector_runner.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function asFailure(value: unknown): ConnectorFailure | undefined {
  if (
    isObject(value) && typeof value.code === "string" &&
    typeof value.message === "string" && typeof value.transient === "boolean"
  ) {
    return {
      code: value.code,
      message: value.message,
      transient: value.transient,
    };
  }
  return undefined;
}

/**
 * The failure carried by what `RunningConnector.started` rejected with, or
 * `runner.start()` threw: its `failure` property or the value itself when
 * it has `code`, `message` and `transient`; otherwise a transient
 * `CA_ERR_CONNECTOR` (or the error's own code) with its message.
 *
 * @param reason What was thrown.
 * @returns The failure.
 */
export function toFailure(reason: unknown): ConnectorFailure {
  const carried = isObject(reason)
    ? asFailure(reason.failure) ?? asFailure(reason)
    : undefined;
  if (carried !== undefined) return carried;
  const code = isObject(reason) && typeof reason.code === "string" &&
      reason.code !== ""
    ? reason.code
    : "CA_ERR_CONNECTOR";
  return { code, message: describeError(reason), transient: true };
}
