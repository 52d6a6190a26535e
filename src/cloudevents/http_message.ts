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
 */
export type CloudEventsMode = "binary" | "structured" | "batch";

/**
 * An encoded HTTP message, before it is sent: the headers and the body to
 * put in a `Request` or a `Response` (`new Request(url, { method: "POST",
 * ...message })`).
 */
export interface CloudEventsHttpMessage {
  /** `Content-Type` and, in binary mode, the `ce-` headers. */
  headers: Headers;
  /** The body: JSON text, the event's data, or `null` for none. */
  body: string | Uint8Array<ArrayBuffer> | null;
}
