// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Thrown by `cloudEventsWebSocketReader()` and `cloudEventsWebSocketWriter()`
 * when the WebSocket itself fails them: it closed abnormally or before the
 * events were sent, the peer overran the reader's queue or sent a message
 * above its size limit, or the server did not accept the `cloudevents.json`
 * subprotocol. An invalid event is a `CloudEventError` instead.
 *
 * @example Tell an overrun from a broken connection
 * ```ts
 * import { CloudEventsWebSocketError } from "@ca/streams/cloudevents";
 *
 * const error = new CloudEventsWebSocketError(
 *   "Cannot read CloudEvents over WebSocket: more than 1024 events were waiting",
 *   1008,
 * );
 * if (error.code !== "CA_ERR_CLOUDEVENTS_WEBSOCKET" || error.closeCode !== 1008) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class CloudEventsWebSocketError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_CLOUDEVENTS_WEBSOCKET" =
    "CA_ERR_CLOUDEVENTS_WEBSOCKET";
  /**
   * The WebSocket close code behind it: the one this side closed with (1008
   * for an overrun, 1009 for a message too big, or 4008 and 4009 where the
   * WebSocket API refuses those), or the one the connection closed with
   * (1006 when it broke); `undefined` when it did not close.
   */
  readonly closeCode: number | undefined;

  /**
   * Creates a WebSocket error.
   *
   * @param message The whole message, "Cannot X: reason".
   * @param closeCode The close code behind it, if any.
   * @param options `cause`: the socket's error, if any.
   */
  constructor(
    message: string,
    closeCode?: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CloudEventsWebSocketError";
    this.closeCode = closeCode;
  }
}
