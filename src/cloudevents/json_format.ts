// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The JSON event format on the encoding side (internal): an event checked
 * and shaped for `JSON.stringify`.
 *
 * @module
 */

import type { CloudEvent } from "./cloud_event.ts";
import type { CloudEventIssue } from "./cloud_event_error.ts";
import { addIssue, checkEvent, invalidEvents } from "./check_event.ts";
import type { Path } from "./check_event.ts";
import { isJsonContentType } from "./media_type.ts";
import { withBase64Data } from "./json_record.ts";

/**
 * Checks `event` and returns what to serialize for it in the JSON format:
 * the event itself, or a copy with bytes in `data` moved to `data_base64`.
 * Issues are added to `issues`; the result is meaningless when some were.
 */
export function toJsonMember(
  event: CloudEvent,
  at: Path,
  issues: CloudEventIssue[],
): object {
  const before = issues.length;
  checkEvent(event, at, issues, false);
  if (issues.length > before) return event;
  const data = event.data;
  if (data instanceof Uint8Array) return withBase64Data(event, data);
  if (
    data !== undefined && data !== null && typeof data !== "string" &&
    !isJsonContentType(event.datacontenttype)
  ) {
    addIssue(
      issues,
      at,
      "data",
      `a string or a Uint8Array for datacontenttype ${event.datacontenttype}`,
      data,
    );
  }
  return event;
}

/** The JSON text of one event, checked; throws `CloudEventError`. */
export function encodeJsonEvent(event: CloudEvent): string {
  const issues: CloudEventIssue[] = [];
  const member = toJsonMember(event, [], issues);
  if (issues.length > 0) throw invalidEvents(issues, "encode");
  return JSON.stringify(member);
}
