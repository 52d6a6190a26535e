// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Records as the JSON event format writes CloudEvents (internal): bytes in
 * `data` go to `data_base64`. Shared by the CloudEvents encoders and the
 * NDJSON encoders of records (`encodeNdjson()`, `fileSink()`), with no
 * more than base64 behind it.
 *
 * @module
 */

import { encodeBase64 } from "./base64.ts";

/** A copy of `event` with `data` moved to `data_base64`. */
export function withBase64Data(event: object, data: Uint8Array): object {
  const copy: Record<string, unknown> = { ...event };
  delete copy.data;
  copy.data_base64 = encodeBase64(data);
  return copy;
}

/**
 * What a JSON encoder of records writes for `value`: a CloudEvent, known
 * by its string `specversion`, whose `data` is bytes becomes a copy with
 * the bytes in `data_base64`, as the JSON event format says
 * (`JSON.stringify` would write a `Uint8Array` as an object of indices);
 * anything else is itself. The event is not checked: an encoder of records
 * writes what it is given. `parseCloudEvent()` turns the line read back
 * into an event with bytes in `data` again.
 */
export function toJsonRecord(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const data = (value as { data?: unknown }).data;
  if (
    data instanceof Uint8Array &&
    typeof (value as { specversion?: unknown }).specversion === "string"
  ) return withBase64Data(value, data);
  return value;
}
