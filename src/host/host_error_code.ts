// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The `code` of an error a `ConnectorHost` answers with, in the body
 * `{ "error": { "code", "message", "issues"? } }`. Each code has one HTTP
 * status:
 *
 * | code | status | when |
 * | --- | --- | --- |
 * | `CA_ERR_HOST_BAD_REQUEST` | 400 | the body is not the JSON asked for, or a field is wrong |
 * | `CA_ERR_HOST_INVALID_CONFIG` | 400 | the config does not validate; `issues` says where |
 * | `CA_ERR_HOST_UNAUTHORIZED` | 401 | no token, or an unknown one |
 * | `CA_ERR_HOST_FORBIDDEN` | 403 | a viewer token for a change |
 * | `CA_ERR_HOST_NOT_FOUND` | 404 | no such endpoint |
 * | `CA_ERR_HOST_UNKNOWN_CONNECTOR` | 404 | no connector with that id |
 * | `CA_ERR_HOST_UNKNOWN_STAGE` | 404 | a tap of a stage the connector does not have |
 * | `CA_ERR_HOST_METHOD_NOT_ALLOWED` | 405 | the endpoint takes other methods (see `Allow`) |
 * | `CA_ERR_HOST_CONNECTOR_EXISTS` | 409 | a connector with that id exists |
 * | `CA_ERR_HOST_NOT_STOPPED` | 409 | a reset or delete of a connector that is not `stopped` |
 * | `CA_ERR_WRONG_EXPECTED_VERSION` | 409 | another change of the connector came first; the host reloaded it |
 * | `CA_ERR_HOST_NOT_RUNNING` | 409 | a tap of a connector that is not `running` |
 * | `CA_ERR_HOST_TAP_UNSUPPORTED` | 409 | a tap of a stage that cannot be tapped (a sink, a child runner's stage) |
 * | `CA_ERR_HOST_BODY_TOO_LARGE` | 413 | the body is larger than `maxBodyBytes` |
 * | `CA_ERR_HOST_UNSUPPORTED_MEDIA_TYPE` | 415 | the body's `content-type` is not one the endpoint takes |
 * | `CA_ERR_HOST_UPGRADE_REQUIRED` | 426 | a plain `GET` of the tap, a WebSocket endpoint |
 * | `CA_ERR_HOST_INTERNAL` | 500 | something failed that should not have (the runner, for one) |
 * | `CA_ERR_HOST_NOT_READY` | 503 | the host has not finished `start()` |
 * | `CA_ERR_HOST_STOPPED` | 503 | the host was stopped: it takes no more changes |
 * | `CA_ERR_HOST_STORE_UNAVAILABLE` | 503 | the definition store cannot be reached |
 *
 * @example Act on an error answer
 * ```ts
 * import type { HostErrorCode } from "@ca/streams/host";
 *
 * const body: { error: { code: HostErrorCode; message: string } } = {
 *   error: { code: "CA_ERR_HOST_NOT_STOPPED", message: 'Cannot reset connector "orders": it is running; stop it first' },
 * };
 * const retryAfterStop = body.error.code === "CA_ERR_HOST_NOT_STOPPED";
 * if (!retryAfterStop) throw new Error("unexpected");
 * ```
 */
export type HostErrorCode =
  | "CA_ERR_HOST_BAD_REQUEST"
  | "CA_ERR_HOST_INVALID_CONFIG"
  | "CA_ERR_HOST_UNAUTHORIZED"
  | "CA_ERR_HOST_FORBIDDEN"
  | "CA_ERR_HOST_NOT_FOUND"
  | "CA_ERR_HOST_UNKNOWN_CONNECTOR"
  | "CA_ERR_HOST_UNKNOWN_STAGE"
  | "CA_ERR_HOST_METHOD_NOT_ALLOWED"
  | "CA_ERR_HOST_CONNECTOR_EXISTS"
  | "CA_ERR_HOST_NOT_STOPPED"
  | "CA_ERR_WRONG_EXPECTED_VERSION"
  | "CA_ERR_HOST_NOT_RUNNING"
  | "CA_ERR_HOST_TAP_UNSUPPORTED"
  | "CA_ERR_HOST_BODY_TOO_LARGE"
  | "CA_ERR_HOST_UNSUPPORTED_MEDIA_TYPE"
  | "CA_ERR_HOST_UPGRADE_REQUIRED"
  | "CA_ERR_HOST_INTERNAL"
  | "CA_ERR_HOST_NOT_READY"
  | "CA_ERR_HOST_STOPPED"
  | "CA_ERR_HOST_STORE_UNAVAILABLE";
