// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEventIssue } from "./cloud_event_error.ts";
import { checkEvent } from "./check_event.ts";

/**
 * Options for {@linkcode validateCloudEvent} and `parseCloudEvent()`.
 *
 * @example Strict mode also limits attribute names to 20 characters
 * ```ts
 * import { validateCloudEvent } from "@ca/streams/cloudevents";
 * import type { ValidateCloudEventOptions } from "@ca/streams/cloudevents";
 *
 * const event = {
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/s",
 *   type: "t",
 *   averyveryverylongextension: 1,
 * };
 * const strict: ValidateCloudEventOptions = { strict: true };
 * if (validateCloudEvent(event).length !== 0) throw new Error("valid by default");
 * if (validateCloudEvent(event, strict).length !== 1) throw new Error("invalid when strict");
 * ```
 */
export interface ValidateCloudEventOptions {
  /**
   * Also enforce the spec's recommendations, not only its requirements:
   * attribute names of at most 20 characters (default false).
   */
  strict?: boolean;
}

/**
 * Checks a value against CloudEvents 1.0 and returns what is wrong, as
 * data: an empty array for a valid event. It does not change the value.
 *
 * The rules: `specversion` is `"1.0"`; `id` and `type` are non-empty
 * strings and `source` a non-empty URI-reference; `subject` a non-empty
 * string, `time` an RFC 3339 timestamp, `datacontenttype` an RFC 2046 media
 * type and `dataschema` an absolute URI when present; strings carry no
 * control characters, noncharacters or lone surrogates; `data_base64` is
 * base64 and never beside `data`; extension names are `a`-`z` and `0`-`9`,
 * their values booleans, 32-bit integers or strings; `sequence` is a
 * non-empty string. `null` means unset, except for `data`.
 *
 * @param value The candidate event.
 * @param options `strict`: enforce recommendations too.
 * @returns The issues, each with `path`, `expected`, `received`, `message`.
 *
 * @example Find the bad attributes
 * ```ts
 * import { validateCloudEvent } from "@ca/streams/cloudevents";
 *
 * const issues = validateCloudEvent({
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/orders",
 *   type: "com.example.order.paid",
 *   time: "yesterday",
 *   "Bad-Name": 1,
 * });
 * const paths = issues.map((issue) => issue.path.join("."));
 * if (paths.join() !== "time,Bad-Name") throw new Error(`got ${paths}`);
 * ```
 */
export function validateCloudEvent(
  value: unknown,
  options: ValidateCloudEventOptions = {},
): CloudEventIssue[] {
  const issues: CloudEventIssue[] = [];
  checkEvent(value, [], issues, options.strict === true);
  return issues;
}
