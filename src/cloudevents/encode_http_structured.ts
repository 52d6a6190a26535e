// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import type { CloudEventsHttpMessage } from "./http_message.ts";
import { encodeJsonEvent } from "./json_format.ts";

/** The `Content-Type` of a structured-mode message. */
const STRUCTURED = "application/cloudevents+json; charset=utf-8";

/**
 * Encodes one event in HTTP structured mode: the whole event in the JSON
 * event format as the body, `Content-Type: application/cloudevents+json;
 * charset=utf-8`. A `Uint8Array` in `data` is written as `data_base64`.
 *
 * @param event The event; it is checked first.
 * @returns The headers and body, ready for a `Request` or `Response`.
 * @throws {CloudEventError} When the event is invalid, naming the attribute.
 *
 * @example A structured-mode message
 * ```ts
 * import { encodeHttpStructured } from "@ca/streams/cloudevents";
 *
 * const { headers, body } = encodeHttpStructured({
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/cam",
 *   type: "frame",
 *   datacontenttype: "image/png",
 *   data: new Uint8Array([137, 80]),
 * });
 * if (!headers.get("content-type")?.startsWith("application/cloudevents+json")) {
 *   throw new Error("type");
 * }
 * if (JSON.parse(body as string).data_base64 !== "iVA=") throw new Error("body");
 * ```
 */
export function encodeHttpStructured(
  event: CloudEvent,
): CloudEventsHttpMessage {
  const body = encodeJsonEvent(event);
  return { headers: new Headers({ "content-type": STRUCTURED }), body };
}
