// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { CLOUDEVENTS_JSON_SUBPROTOCOL } from "./websocket_message.ts";

/**
 * Picks the CloudEvents subprotocol for a WebSocket opening handshake: the
 * server answers with `cloudevents.json` when the client offered it in
 * `Sec-WebSocket-Protocol`, and with no subprotocol otherwise (the binding
 * says it then sends no `Sec-WebSocket-Protocol` header).
 *
 * @param request The upgrade request, or its `Sec-WebSocket-Protocol` value.
 * @returns `"cloudevents.json"`, or `undefined` when it was not offered.
 *
 * @example Accept a CloudEvents WebSocket in Deno
 * ```ts
 * import { selectWebSocketSubprotocol } from "@ca/streams/cloudevents";
 *
 * const request = new Request("http://localhost/events", {
 *   headers: { "sec-websocket-protocol": "cloudevents.avro, cloudevents.json" },
 * });
 * const protocol = selectWebSocketSubprotocol(request);
 * if (protocol !== "cloudevents.json") throw new Error("unexpected");
 * // Deno's upgradeWebSocket(request, { protocol }) would then accept it.
 * ```
 */
export function selectWebSocketSubprotocol(
  request: Request | string | null,
): "cloudevents.json" | undefined {
  const offered = request instanceof Request
    ? request.headers.get("sec-websocket-protocol")
    : request;
  if (offered === null || offered === undefined) return undefined;
  for (const protocol of offered.split(",")) {
    if (protocol.trim() === CLOUDEVENTS_JSON_SUBPROTOCOL) {
      return CLOUDEVENTS_JSON_SUBPROTOCOL;
    }
  }
  return undefined;
}
