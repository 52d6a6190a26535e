// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import type { CloudEventIssue } from "./cloud_event_error.ts";
import { checkEvent, invalidEvents, normalizeEvent } from "./check_event.ts";
import type { ValidateCloudEventOptions } from "./validate_cloud_event.ts";

/**
 * Checks a value against CloudEvents 1.0 (the rules of
 * `validateCloudEvent()`) and returns it as a {@linkcode CloudEvent}:
 * a shallow copy without `null` attributes, with `data_base64` decoded
 * into a `Uint8Array` in `data`. Throws when it is not a valid event.
 *
 * @typeParam T The type of `data` (not checked).
 * @param value The candidate event, such as a parsed JSON object.
 * @param options `strict`: enforce the spec's recommendations too.
 * @returns The event.
 * @throws {CloudEventError} `issues` names every bad attribute.
 *
 * @example Decode a JSON event with binary data
 * ```ts
 * import { parseCloudEvent } from "@ca/streams/cloudevents";
 *
 * const event = parseCloudEvent<Uint8Array>(JSON.parse(
 *   '{"specversion":"1.0","id":"7","source":"/cam","type":"frame",' +
 *     '"subject":null,"data_base64":"AAEC"}',
 * ));
 * if (event.data?.join() !== "0,1,2" || "subject" in event) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function parseCloudEvent<T = unknown>(
  value: unknown,
  options: ValidateCloudEventOptions = {},
): CloudEvent<T> {
  const issues: CloudEventIssue[] = [];
  const flags = checkEvent(value, [], issues, options.strict === true);
  if (issues.length > 0) throw invalidEvents(issues);
  const event = { ...(value as CloudEvent<T>) };
  normalizeEvent(event, flags);
  return event;
}
