// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The CloudEvents 1.0 rules, shared by `validateCloudEvent()`,
 * `parseCloudEvent()`, the decoders and the encoders (internal).
 *
 * @module
 */

import { decodeBase64, isBase64 } from "./base64.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import type { CloudEventIssue } from "./cloud_event_error.ts";
import { describeValue } from "../util/describe_value.ts";
import { MEDIA_TYPE } from "./media_type.ts";
import { isUri, isUriReference } from "./uri_reference.ts";

/** Where an event sits: `[]` alone, `[index]` in a batch. */
export type Path = readonly (string | number)[];

/** {@linkcode checkEvent} found `null` members (unset attributes) to drop. */
export const HAS_NULL = 1;
/** {@linkcode checkEvent} found a `data_base64` member to decode. */
export const HAS_BASE64 = 2;

/** The members with a meaning of their own; everything else is an extension. */
const CORE: Record<string, true> = {
  specversion: true,
  id: true,
  source: true,
  type: true,
  subject: true,
  time: true,
  datacontenttype: true,
  dataschema: true,
  data: true,
  data_base64: true,
};

/** Attribute names: lower-case ASCII letters and digits. */
export const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
/** What the spec recommends as the longest attribute name. */
export const MAX_NAME_LENGTH = 20;
/** Printable ASCII: always a valid String, the common case. */
const PRINTABLE = /^[\x20-\x7E]*$/;
/** Control characters and Unicode noncharacters: never in a String. */
const FORBIDDEN = /[\p{Cc}\p{Noncharacter_Code_Point}]/u;
/** RFC 3339 `date-time`. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Whether a string is a CloudEvents `String`: no controls, noncharacters or lone surrogates. */
export function isValidString(value: string): boolean {
  if (PRINTABLE.test(value)) return true;
  return value.isWellFormed() && !FORBIDDEN.test(value);
}

/** Whether a string is an RFC 3339 timestamp with a real date and time. */
export function isTimestamp(value: string): boolean {
  const m = TIMESTAMP.exec(value);
  if (m === null) return false;
  const year = +m[1]!, month = +m[2]!, day = +m[3]!;
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2
    ? (leap ? 29 : 28)
    : (month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
  if (day > days) return false;
  if (+m[4]! > 23 || +m[5]! > 59 || +m[6]! > 60) return false;
  return m[7] === undefined || (+m[7] <= 23 && +m[8]! <= 59);
}

/** Adds an issue at `at` + `key`. */
export function addIssue(
  issues: CloudEventIssue[],
  at: Path,
  key: string | undefined,
  expected: string,
  value: unknown,
  received: string = describeValue(value),
): void {
  const path = key === undefined ? [...at] : [...at, key];
  const where = path.length === 0 ? "event" : path.join(".");
  issues.push({
    path,
    expected,
    received,
    message: `${where}: expected ${expected}, received ${received}`,
  });
}

/**
 * Checks one event against CloudEvents 1.0 and its JSON type mapping,
 * adding an issue per broken rule. Returns {@linkcode HAS_NULL} and
 * {@linkcode HAS_BASE64} flags for what a decoder has to normalize.
 *
 * With `strict`, the spec's recommendations are enforced too: attribute
 * names of at most 20 characters.
 */
export function checkEvent(
  value: unknown,
  at: Path,
  issues: CloudEventIssue[],
  strict: boolean,
): number {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    addIssue(issues, at, undefined, "a CloudEvent object", value);
    return 0;
  }
  const event = value as Record<string, unknown>;
  let flags = 0;
  if (event.specversion !== "1.0") {
    addIssue(issues, at, "specversion", '"1.0"', event.specversion);
  }
  const { id, source, type } = event;
  if (typeof id !== "string" || id === "" || !isValidString(id)) {
    addIssue(issues, at, "id", "a non-empty string", id);
  }
  if (
    typeof source !== "string" || source === "" || !isUriReference(source)
  ) {
    addIssue(issues, at, "source", "a non-empty URI-reference", source);
  }
  if (typeof type !== "string" || type === "" || !isValidString(type)) {
    addIssue(issues, at, "type", "a non-empty string", type);
  }
  for (const key in event) {
    const member = event[key];
    if (member === undefined) continue;
    if (member === null) {
      // An explicit null payload is data; a null attribute is unset.
      if (key !== "data") flags |= HAS_NULL;
      continue;
    }
    if (CORE[key] === true) {
      switch (key) {
        case "subject":
          if (
            typeof member !== "string" || member === "" ||
            !isValidString(member)
          ) addIssue(issues, at, key, "a non-empty string", member);
          break;
        case "time":
          if (typeof member !== "string" || !isTimestamp(member)) {
            addIssue(issues, at, key, "an RFC 3339 timestamp", member);
          }
          break;
        case "datacontenttype":
          if (typeof member !== "string" || !MEDIA_TYPE.test(member)) {
            addIssue(issues, at, key, "an RFC 2046 media type", member);
          }
          break;
        case "dataschema":
          if (typeof member !== "string" || !isUri(member)) {
            addIssue(issues, at, key, "an absolute URI", member);
          }
          break;
        case "data_base64":
          if (typeof member !== "string" || !isBase64(member)) {
            addIssue(issues, at, key, "a base64 string", member);
          } else if (event.data !== undefined) {
            addIssue(
              issues,
              at,
              key,
              "no data_base64 beside data",
              member,
              "both data and data_base64",
            );
          } else flags |= HAS_BASE64;
          break;
      }
      continue;
    }
    checkExtension(key, member, at, issues, strict);
  }
  return flags;
}

function checkExtension(
  key: string,
  member: unknown,
  at: Path,
  issues: CloudEventIssue[],
  strict: boolean,
): void {
  if (!ATTRIBUTE_NAME.test(key)) {
    addIssue(
      issues,
      at,
      key,
      "an attribute name of a-z and 0-9",
      key,
      JSON.stringify(key),
    );
    return;
  }
  if (strict && key.length > MAX_NAME_LENGTH) {
    addIssue(
      issues,
      at,
      key,
      `an attribute name of at most ${MAX_NAME_LENGTH} characters`,
      key,
      `${key.length} characters`,
    );
  }
  if (key === "sequence") {
    if (typeof member !== "string" || member === "" || !isValidString(member)) {
      addIssue(issues, at, key, "a non-empty string", member);
    }
    return;
  }
  switch (typeof member) {
    case "boolean":
      return;
    case "string":
      if (!isValidString(member)) {
        addIssue(
          issues,
          at,
          key,
          "a string without control characters",
          member,
        );
      }
      return;
    case "number":
      if (
        !Number.isInteger(member) || member < INT32_MIN || member > INT32_MAX
      ) addIssue(issues, at, key, "a 32-bit integer", member);
      return;
    default:
      addIssue(
        issues,
        at,
        key,
        "a boolean, a 32-bit integer or a string",
        member,
      );
  }
}

/**
 * Applies what {@linkcode checkEvent} flagged, in place: drops `null`
 * attributes and turns `data_base64` into bytes in `data`.
 */
export function normalizeEvent(
  event: Record<string, unknown>,
  flags: number,
): void {
  if ((flags & HAS_NULL) !== 0) {
    for (const key in event) {
      if (event[key] === null && key !== "data") delete event[key];
    }
  }
  if ((flags & HAS_BASE64) !== 0) {
    event.data = decodeBase64(event.data_base64 as string);
    delete event.data_base64;
  }
}

/** The error for invalid events, naming the first issues in its message. */
export function invalidEvents(
  issues: CloudEventIssue[],
  verb: "read" | "encode" = "read",
): CloudEventError {
  const shown = issues.slice(0, 3).map((issue) => issue.message).join("; ");
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return new CloudEventError(
    `Cannot ${verb} CloudEvent: ${shown}${more}`,
    issues,
  );
}
