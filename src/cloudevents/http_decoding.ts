// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Reading CloudEvents from HTTP messages (internal): mode detection from
 * the headers, then the body per mode.
 *
 * @module
 */

import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import type { CloudEventIssue } from "./cloud_event_error.ts";
import {
  addIssue,
  ATTRIBUTE_NAME,
  checkEvent,
  invalidEvents,
  normalizeEvent,
} from "./check_event.ts";
import { describeValue } from "../util/describe_value.ts";
import { decodeHeaderValue } from "./header_value.ts";
import type { CloudEventsMode } from "./http_message.ts";
import {
  isJsonEssence,
  isTextMediaType,
  parseMediaType,
} from "./media_type.ts";

/** Headers as a `Headers` object or as `node:http` gives them. */
export type HeadersLike =
  | Headers
  | Record<string, string | string[] | undefined>;

/** What the headers say about a message. */
export interface Detected {
  mode: CloudEventsMode;
  /** The `Content-Type` value, trimmed, when present. */
  contentType: string | undefined;
  /** The headers as name/value pairs, names in lower case. */
  headers: HeadersLike;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** A header's value from either shape; arrays are joined as fetch joins them. */
export function headerOf(headers: HeadersLike, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  let value = headers[name];
  if (value === undefined) {
    for (const key in headers) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

function unsupported(message: string, received: string): CloudEventError {
  return new CloudEventError(
    `Cannot read CloudEvents: ${message}`,
    [{
      path: [],
      expected:
        "application/cloudevents+json, application/cloudevents-batch+json, or ce- headers (binary mode)",
      received,
      message,
    }],
    { status: 415 },
  );
}

/**
 * Finds the content mode from the headers (HTTP binding 3): a
 * `Content-Type` starting `application/cloudevents-batch` is batched mode,
 * `application/cloudevents` structured mode, anything else binary mode when
 * `ce-` headers are present.
 *
 * @throws {CloudEventError} 415 for an event format other than JSON, a
 * charset other than UTF-8, or a message with no CloudEvent at all.
 */
export function detectMode(headers: HeadersLike): Detected {
  const raw = headerOf(headers, "content-type");
  const contentType = raw === null ? undefined : raw.trim();
  if (contentType !== undefined) {
    const { essence, charset } = parseMediaType(contentType);
    if (essence.startsWith("application/cloudevents")) {
      const batch = essence.startsWith("application/cloudevents-batch");
      const expected = batch
        ? "application/cloudevents-batch+json"
        : "application/cloudevents+json";
      if (essence !== expected) {
        throw unsupported(
          `the event format ${essence} is not supported, only JSON`,
          JSON.stringify(contentType),
        );
      }
      if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
        throw unsupported(
          `the charset ${charset} is not supported, only UTF-8`,
          JSON.stringify(contentType),
        );
      }
      return { mode: batch ? "batch" : "structured", contentType, headers };
    }
  }
  if (!hasCeHeader(headers)) {
    throw unsupported(
      contentType === undefined
        ? "the message has no Content-Type and no ce- headers"
        : `the content type ${contentType} carries no CloudEvent and there are no ce- headers`,
      contentType === undefined ? "undefined" : JSON.stringify(contentType),
    );
  }
  return { mode: "binary", contentType, headers };
}

function hasCeHeader(headers: HeadersLike): boolean {
  if (headers instanceof Headers) {
    if (headers.has("ce-specversion")) return true;
    for (const name of headers.keys()) if (name.startsWith("ce-")) return true;
    return false;
  }
  for (const name in headers) {
    if (name.length > 3 && name.slice(0, 3).toLowerCase() === "ce-") {
      return true;
    }
  }
  return false;
}

/** Decodes the body of a message whose mode was detected. */
export function decodeBody<T>(
  detected: Detected,
  body: Uint8Array | string | null,
  strict: boolean,
): CloudEvent<T>[] {
  if (detected.mode === "binary") return [decodeBinary(detected, body, strict)];
  const parsed = parseJson(body);
  const issues: CloudEventIssue[] = [];
  if (detected.mode === "structured") {
    const flags = checkEvent(parsed, [], issues, strict);
    if (issues.length > 0) throw invalidEvents(issues);
    normalizeEvent(parsed as Record<string, unknown>, flags);
    return [parsed as CloudEvent<T>];
  }
  if (!Array.isArray(parsed)) {
    addIssue(issues, [], undefined, "a JSON array of CloudEvents", parsed);
    throw invalidEvents(issues);
  }
  const flags = new Array<number>(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    flags[i] = checkEvent(parsed[i], [i], issues, strict);
  }
  if (issues.length > 0) throw invalidEvents(issues);
  for (let i = 0; i < parsed.length; i++) {
    if (flags[i] !== 0) normalizeEvent(parsed[i], flags[i]!);
  }
  return parsed as CloudEvent<T>[];
}

function toText(body: Uint8Array | string | null): string {
  if (body === null) return "";
  if (typeof body === "string") return body;
  try {
    return utf8.decode(body);
  } catch (cause) {
    throw new CloudEventError(
      "Cannot read CloudEvents: the body is not UTF-8",
      [{
        path: [],
        expected: "UTF-8 JSON",
        received: "invalid UTF-8",
        message: "event: expected UTF-8 JSON, received invalid UTF-8",
      }],
      { cause },
    );
  }
}

function parseJson(body: Uint8Array | string | null): unknown {
  const text = toText(body);
  try {
    return JSON.parse(text);
  } catch (cause) {
    const received = text === "" ? "an empty body" : "invalid JSON";
    throw new CloudEventError(
      `Cannot read CloudEvents: the body is not JSON (${
        (cause as Error).message
      })`,
      [{
        path: [],
        expected: "JSON",
        received,
        message: `event: expected JSON, received ${received}`,
      }],
      { cause },
    );
  }
}

function decodeBinary<T>(
  detected: Detected,
  body: Uint8Array | string | null,
  strict: boolean,
): CloudEvent<T> {
  const event: Record<string, unknown> = {};
  const issues: CloudEventIssue[] = [];
  const take = (value: string, name: string) => {
    const lower = name.toLowerCase();
    if (lower.length <= 3 || !lower.startsWith("ce-")) return;
    const key = lower.slice(3);
    if (!ATTRIBUTE_NAME.test(key)) {
      addIssue(
        issues,
        [],
        key,
        "an attribute name of a-z and 0-9",
        key,
        JSON.stringify(name),
      );
    } else if (key === "datacontenttype" || key === "data") {
      addIssue(
        issues,
        [],
        key,
        key === "data"
          ? "no ce-data header (data is the body)"
          : "no ce-datacontenttype header (Content-Type carries it)",
        value,
        `header ${name}: ${describeValue(value)}`,
      );
    } else {
      const decoded = decodeHeaderValue(value);
      if (decoded === undefined) {
        addIssue(issues, [], key, "a percent-encoded UTF-8 value", value);
      } else {
        event[key] = decoded;
      }
    }
  };
  const { headers } = detected;
  if (headers instanceof Headers) headers.forEach(take);
  else {
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined) {
        take(Array.isArray(value) ? value.join(", ") : value, name);
      }
    }
  }
  const contentType = detected.contentType;
  if (contentType !== undefined) event.datacontenttype = contentType;
  checkEvent(event, [], issues, strict);
  if (issues.length > 0) throw invalidEvents(issues);
  const size = body === null ? 0 : body.length;
  if (size > 0) event.data = binaryData(body!, contentType);
  return event as CloudEvent<T>;
}

/** The data of a binary-mode body: parsed JSON, text, or the bytes. */
function binaryData(
  body: Uint8Array | string,
  contentType: string | undefined,
): unknown {
  if (contentType === undefined) {
    return typeof body === "string" ? encoder.encode(body) : body;
  }
  const parsed = parseMediaType(contentType);
  if (isJsonEssence(parsed.essence)) {
    let text: string;
    try {
      text = typeof body === "string" ? body : utf8.decode(body);
      return JSON.parse(text);
    } catch (cause) {
      const issues: CloudEventIssue[] = [];
      addIssue(
        issues,
        [],
        "data",
        `JSON, as datacontenttype is ${contentType}`,
        undefined,
        "invalid JSON",
      );
      const error = invalidEvents(issues);
      (error as { cause?: unknown }).cause = cause;
      throw error;
    }
  }
  if (typeof body === "string") {
    return isTextMediaType(parsed) ? body : encoder.encode(body);
  }
  if (isTextMediaType(parsed)) {
    const charset = parsed.charset ?? "utf-8";
    try {
      return charset === "utf-8" || charset === "utf8"
        ? utf8.decode(body)
        : new TextDecoder(charset, { fatal: true }).decode(body);
    } catch {
      // Not decodable as declared (or an unknown charset): keep the bytes.
    }
  }
  return body;
}
