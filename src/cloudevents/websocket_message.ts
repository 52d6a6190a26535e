// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import { encodeJsonEvent } from "./json_format.ts";

/**
 * The WebSocket subprotocol of the CloudEvents WebSocket binding with the
 * JSON event format: one event per text message, structured mode only.
 *
 * @example Offer the subprotocol, and check that a server would select it
 * ```ts
 * import {
 *   CLOUDEVENTS_JSON_SUBPROTOCOL,
 *   selectWebSocketSubprotocol,
 * } from "@ca/streams/cloudevents";
 *
 * // A client offers it: new WebSocket(url, CLOUDEVENTS_JSON_SUBPROTOCOL)
 * const upgrade = new Request("http://localhost/events", {
 *   headers: { "sec-websocket-protocol": CLOUDEVENTS_JSON_SUBPROTOCOL },
 * });
 * if (selectWebSocketSubprotocol(upgrade) !== CLOUDEVENTS_JSON_SUBPROTOCOL) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export const CLOUDEVENTS_JSON_SUBPROTOCOL = "cloudevents.json";

/**
 * Encodes one event as a WebSocket message of the `cloudevents.json`
 * subprotocol: the event in the JSON event format, to send as a text
 * message (`socket.send(text)`). Bytes in `data` become `data_base64`.
 *
 * @param event The event; it is checked first.
 * @returns The message text.
 * @throws {CloudEventError} When the event is invalid, naming the attribute.
 *
 * @example Encode an event for a WebSocket
 * ```ts
 * import { encodeWebSocketMessage } from "@ca/streams/cloudevents";
 *
 * const text = encodeWebSocketMessage({
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/s",
 *   type: "t",
 *   sequence: "0001",
 * });
 * if (JSON.parse(text).sequence !== "0001") throw new Error("unexpected");
 * ```
 */
export function encodeWebSocketMessage(event: CloudEvent): string {
  return encodeJsonEvent(event);
}
