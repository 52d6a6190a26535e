// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConfigIssue } from "../config/config_issue.ts";
import type { HostErrorCode } from "./host_error_code.ts";

/** The HTTP status of each error code. */
const STATUS: Record<HostErrorCode, number> = {
  CA_ERR_HOST_BAD_REQUEST: 400,
  CA_ERR_HOST_INVALID_CONFIG: 400,
  CA_ERR_HOST_UNAUTHORIZED: 401,
  CA_ERR_HOST_FORBIDDEN: 403,
  CA_ERR_HOST_NOT_FOUND: 404,
  CA_ERR_HOST_UNKNOWN_CONNECTOR: 404,
  CA_ERR_HOST_UNKNOWN_STAGE: 404,
  CA_ERR_HOST_METHOD_NOT_ALLOWED: 405,
  CA_ERR_HOST_CONNECTOR_EXISTS: 409,
  CA_ERR_HOST_NOT_STOPPED: 409,
  CA_ERR_WRONG_EXPECTED_VERSION: 409,
  CA_ERR_HOST_NOT_RUNNING: 409,
  CA_ERR_HOST_TAP_UNSUPPORTED: 409,
  CA_ERR_HOST_BODY_TOO_LARGE: 413,
  CA_ERR_HOST_UNSUPPORTED_MEDIA_TYPE: 415,
  CA_ERR_HOST_UPGRADE_REQUIRED: 426,
  CA_ERR_HOST_INTERNAL: 500,
  CA_ERR_HOST_NOT_READY: 503,
  CA_ERR_HOST_STOPPED: 503,
  CA_ERR_HOST_STORE_UNAVAILABLE: 503,
};

/**
 * An error a host request ends with, answered as
 * `{ "error": { "code", "message", "issues"? } }` with the code's status.
 * Internal: thrown inside the host's request handling only.
 */
export class HostError extends Error {
  override name = "HostError";
  /** The stable code. */
  readonly code: HostErrorCode;
  /** The HTTP status of the code. */
  readonly status: number;
  /** The config's issues, for `CA_ERR_HOST_INVALID_CONFIG`. */
  readonly issues: ConfigIssue[] | undefined;
  /** Headers the answer needs (`Allow`, `WWW-Authenticate`). */
  readonly headers: Record<string, string>;

  constructor(
    code: HostErrorCode,
    message: string,
    options: { issues?: ConfigIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }

  /** The answer's body. */
  body(): {
    error: { code: string; message: string; issues?: ConfigIssue[] };
  } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues === undefined ? {} : { issues: this.issues }),
      },
    };
  }
}
