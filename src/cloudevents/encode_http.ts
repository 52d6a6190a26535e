// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import { encodeHttpBatch } from "./encode_http_batch.ts";
import { encodeHttpBinary } from "./encode_http_binary.ts";
import { encodeHttpStructured } from "./encode_http_structured.ts";
import type {
  CloudEventsHttpMessage,
  CloudEventsMode,
} from "./http_message.ts";

/**
 * Encodes events as an HTTP message in the given mode: `encodeHttpBinary()`,
 * `encodeHttpStructured()` or `encodeHttpBatch()`. Binary and structured
 * mode carry exactly one event (an array of one is accepted).
 *
 * @param events One event, or an array of events.
 * @param mode `"binary"`, `"structured"` or `"batch"`.
 * @returns The headers and body.
 * @throws {CloudEventError} When an event is invalid.
 * @throws {TypeError} For an unknown mode, or several events outside batch mode.
 *
 * @example Send an event with your own fetch
 * ```ts
 * import { encodeHttp } from "@ca/streams/cloudevents";
 *
 * const message = encodeHttp(
 *   { specversion: "1.0", id: "1", source: "/s", type: "t", data: "hi" },
 *   "structured",
 * );
 * const request = new Request("http://localhost/", { method: "POST", ...message });
 * if (request.headers.get("content-type")?.includes("cloudevents") !== true) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function encodeHttp(
  events: CloudEvent | readonly CloudEvent[],
  mode: CloudEventsMode,
): CloudEventsHttpMessage {
  if (mode === "batch") {
    return encodeHttpBatch(Array.isArray(events) ? events : [events]);
  }
  if (mode !== "binary" && mode !== "structured") {
    throw new TypeError(
      `Cannot encode CloudEvents: mode must be "binary", "structured" or "batch", got ${
        JSON.stringify(mode)
      }`,
    );
  }
  let event = events as CloudEvent;
  if (Array.isArray(events)) {
    if (events.length !== 1) {
      throw new TypeError(
        `Cannot encode CloudEvents: ${mode} mode carries exactly one event, got ${events.length}`,
      );
    }
    event = events[0]!;
  }
  return mode === "binary"
    ? encodeHttpBinary(event)
    : encodeHttpStructured(event);
}
