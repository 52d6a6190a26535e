// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { decodeBase64 } from "./base64.ts";
import type { CloudEvent } from "./cloud_event.ts";
import type { CloudEventIssue } from "./cloud_event_error.ts";
import { addIssue, checkEvent, invalidEvents } from "./check_event.ts";
import { encodeHeaderValue } from "./header_value.ts";
import type { CloudEventsHttpMessage } from "./http_message.ts";
import { isJsonContentType } from "./media_type.ts";

/**
 * Encodes one event in HTTP binary mode: `data` becomes the body,
 * `datacontenttype` the `Content-Type` header, and every other attribute,
 * extensions included, a `ce-<name>` header whose value is percent-encoded
 * (every character outside U+0021-U+007E, and space, `"` and `%`, as
 * UTF-8 `%XY`).
 *
 * The body is `data` as it is for a `Uint8Array` (or `data_base64`, decoded)
 * and for a string of a non-JSON type; otherwise `data` is written as JSON
 * and `Content-Type` defaults to `application/json`.
 *
 * @param event The event; it is checked first.
 * @returns The headers and body, ready for a `Request` or `Response`.
 * @throws {CloudEventError} When the event is invalid, naming the attribute.
 *
 * @example Headers of a binary-mode message
 * ```ts
 * import { encodeHttpBinary } from "@ca/streams/cloudevents";
 *
 * const { headers, body } = encodeHttpBinary({
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/orders",
 *   type: "com.example.order.paid",
 *   subject: "Euro €",
 *   data: { total: 12 },
 * });
 * if (headers.get("ce-subject") !== "Euro%20%E2%82%AC") throw new Error("encoding");
 * if (headers.get("content-type") !== "application/json") throw new Error("type");
 * if (body !== '{"total":12}') throw new Error("body");
 * ```
 */
export function encodeHttpBinary(event: CloudEvent): CloudEventsHttpMessage {
  const issues: CloudEventIssue[] = [];
  checkEvent(event, [], issues, false);
  if (issues.length > 0) throw invalidEvents(issues, "encode");
  const headers = new Headers();
  for (const key in event) {
    const value = event[key];
    if (
      value === undefined || value === null || key === "data" ||
      key === "data_base64" || key === "datacontenttype"
    ) continue;
    headers.set(
      `ce-${key}`,
      typeof value === "string" ? encodeHeaderValue(value) : String(value),
    );
  }
  const contentType = event.datacontenttype ?? undefined;
  let data = event.data;
  if (data === undefined && typeof event.data_base64 === "string") {
    data = decodeBase64(event.data_base64);
  }
  let body: string | Uint8Array<ArrayBuffer> | null = null;
  if (data instanceof Uint8Array) {
    body = data as Uint8Array<ArrayBuffer>;
  } else if (data !== undefined) {
    if (isJsonContentType(contentType)) {
      body = JSON.stringify(data);
      headers.set("content-type", contentType ?? "application/json");
    } else if (typeof data === "string") {
      body = data;
    } else {
      addIssue(
        issues,
        [],
        "data",
        `a string or a Uint8Array for datacontenttype ${contentType}`,
        data,
      );
      throw invalidEvents(issues, "encode");
    }
  }
  if (contentType !== undefined) headers.set("content-type", contentType);
  return { headers, body };
}
