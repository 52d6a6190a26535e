// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import { decodeBody, detectMode } from "./http_decoding.ts";
import type { ValidateCloudEventOptions } from "./validate_cloud_event.ts";

/**
 * Decodes the CloudEvents of an HTTP message whose body has been read, in
 * any mode: batched for `Content-Type: application/cloudevents-batch+json`,
 * structured for `application/cloudevents+json`, else binary when `ce-`
 * headers are present. Every event is checked against the spec.
 *
 * In binary mode, header values are trimmed, unquoted and percent-decoded
 * (invalid UTF-8 is rejected), extension values stay strings, and the body
 * becomes `data`: parsed JSON for a JSON `Content-Type`, a string for text
 * (`text/*`, XML, or a `charset`), else a `Uint8Array`; an empty body means
 * no data. In the JSON formats, `data_base64` becomes a `Uint8Array` in
 * `data` and `null` attributes are dropped.
 *
 * @typeParam T The type of `data` (not checked).
 * @param headers A `Headers` object, or a record as `node:http` gives it.
 * @param body The body's bytes or text; `null` for none.
 * @param options `strict`: enforce the spec's recommendations too.
 * @returns The events: one in binary and structured mode, any number in a batch.
 * @throws {CloudEventError} `status` 415 for an unsupported content type,
 * 400 with `issues` naming each bad attribute otherwise.
 *
 * @example Decode a binary-mode message
 * ```ts
 * import { decodeHttpMessage } from "@ca/streams/cloudevents";
 *
 * const headers = new Headers({
 *   "ce-specversion": "1.0",
 *   "ce-id": "42",
 *   "ce-source": "/orders",
 *   "ce-type": "com.example.order.paid",
 *   "ce-subject": "Euro%20%E2%82%AC",
 *   "content-type": "application/json",
 * });
 * const [event] = decodeHttpMessage(headers, '{"total":12}');
 * if (event?.subject !== "Euro €") throw new Error("decoding");
 * if ((event.data as { total: number }).total !== 12) throw new Error("data");
 * ```
 */
export function decodeHttpMessage<T = unknown>(
  headers: Headers | Record<string, string | string[] | undefined>,
  body: Uint8Array | string | null,
  options: ValidateCloudEventOptions = {},
): CloudEvent<T>[] {
  return decodeBody<T>(detectMode(headers), body, options.strict === true);
}
