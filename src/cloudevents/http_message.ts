// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * How events travel in HTTP (CloudEvents HTTP binding 1.3):
 *
 * - `"binary"`: one event; `data` is the body, `datacontenttype` the
 *   `Content-Type`, every other attribute a `ce-` header;
 * - `"structured"`: one event in the JSON format, `Content-Type:
 *   application/cloudevents+json`;
 * - `"batch"`: an array of events in the JSON batch format,
 *   `Content-Type: application/cloudevents-batch+json`. The spec allows it
 *   only where the receiver asked for it.
 *
 * @example The content type of each mode
 * ```ts
 * import { encodeHttp } from "@ca/streams/cloudevents";
 * import type { CloudEvent, CloudEventsMode } from "@ca/streams/cloudevents";
 *
 * const event: CloudEvent = { specversion: "1.0", id: "1", source: "/s", type: "t", data: 1 };
 * const modes: CloudEventsMode[] = ["binary", "structured", "batch"];
 * const types = modes.map((mode) => encodeHttp(event, mode).headers.get("content-type"));
 * if (!types[0]?.startsWith("application/json") || !types[2]?.includes("batch")) {
 *   throw new Error(`unexpected ${types}`);
 * }
 * ```
 */
export type CloudEventsMode = "binary" | "structured" | "batch";

/**
 * An encoded HTTP message, before it is sent: the headers and the body to
 * put in a `Request` or a `Response` (`new Request(url, { method: "POST",
 * ...message })`).
 *
 * @example Answer a request with an event in a `Response`
 * ```ts
 * import { decodeHttp, encodeHttpStructured } from "@ca/streams/cloudevents";
 * import type { CloudEventsHttpMessage } from "@ca/streams/cloudevents";
 *
 * const message: CloudEventsHttpMessage = encodeHttpStructured({
 *   specversion: "1.0",
 *   id: "reply-1",
 *   source: "/s",
 *   type: "com.example.reply",
 * });
 * const response = new Response(message.body, { headers: message.headers });
 * const [event] = await decodeHttp(response);
 * if (event?.id !== "reply-1") throw new Error("unexpected");
 * ```
 */
export interface CloudEventsHttpMessage {
  /** `Content-Type` and, in binary mode, the `ce-` headers. */
  headers: Headers;
  /** The body: JSON text, the event's data, or `null` for none. */
  body: string | Uint8Array<ArrayBuffer> | null;
}
