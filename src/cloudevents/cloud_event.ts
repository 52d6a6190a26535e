// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The value of an extension attribute: the CloudEvents type system's
 * `Boolean`, `Integer` (signed 32-bit) or `String` (which also carries
 * `URI`, `URI-reference`, `Timestamp` and base64 `Binary` values). In HTTP
 * binary mode every value travels as a header, so a reader receives strings.
 *
 * @example An extension attribute travels as a `ce-` header
 * ```ts
 * import { decodeHttpMessage, encodeHttpBinary } from "@ca/streams/cloudevents";
 * import type { CloudEvent, CloudEventExtensionValue } from "@ca/streams/cloudevents";
 *
 * const priority: CloudEventExtensionValue = 5;
 * const event: CloudEvent = { specversion: "1.0", id: "1", source: "/s", type: "t", priority };
 * const { headers, body } = encodeHttpBinary(event);
 * if (headers.get("ce-priority") !== "5") throw new Error("unexpected header");
 * const [received] = decodeHttpMessage(headers, body);
 * if (received?.priority !== "5") throw new Error("a reader receives strings");
 * ```
 */
export type CloudEventExtensionValue = string | number | boolean;

/**
 * A CloudEvent (CloudEvents 1.0) as a plain record, shaped like the JSON
 * event format: the context attributes and the extension attributes are
 * top-level members, and `data` holds the payload.
 *
 * - `data` is a JSON value when `datacontenttype` is a JSON type (subtype
 *   `json` or ending in `+json`) or absent, a string for text, and a
 *   `Uint8Array` for bytes.
 *   Decoders turn a JSON `data_base64` member into a `Uint8Array` in `data`;
 *   encoders write a `Uint8Array` as `data_base64` (JSON) or as the raw body
 *   (HTTP binary mode).
 * - `null` in an optional attribute means unset, as in the JSON format;
 *   decoders drop such members.
 * - Every other member is an extension attribute: its name is made of
 *   `a`-`z` and `0`-`9`, its value a {@linkcode CloudEventExtensionValue}.
 *
 * Check one with `validateCloudEvent()` or `parseCloudEvent()`.
 *
 * @typeParam T The type of `data`.
 *
 * @example Build an event with typed data and check it
 * ```ts
 * import { validateCloudEvent } from "@ca/streams/cloudevents";
 * import type { CloudEvent } from "@ca/streams/cloudevents";
 *
 * const paid: CloudEvent<{ total: number }> = {
 *   specversion: "1.0",
 *   id: "order-17",
 *   source: "/shop",
 *   type: "com.example.order.paid",
 *   time: "2026-01-02T03:04:05Z",
 *   data: { total: 12 },
 * };
 * const issues = validateCloudEvent(paid);
 * if (issues.length !== 0 || paid.data?.total !== 12) throw new Error("unexpected");
 * ```
 */
export interface CloudEvent<T = unknown> {
  /** The CloudEvents version: always `"1.0"`. */
  specversion: "1.0";
  /** Identifies the event; `source` + `id` is unique per distinct event. */
  id: string;
  /** A URI-reference naming the context the event happened in. */
  source: string;
  /** The kind of event, such as `"com.example.order.paid"`. */
  type: string;
  /** What the event is about, within `source`. */
  subject?: string;
  /** When it happened, as an RFC 3339 timestamp. */
  time?: string;
  /** The media type of `data` (RFC 2046), such as `"application/json"`. */
  datacontenttype?: string;
  /** An absolute URI naming the schema `data` adheres to. */
  dataschema?: string;
  /** The payload. */
  data?: T;
  /**
   * The payload as base64, as the JSON format carries bytes. Accepted on
   * input; decoders replace it with a `Uint8Array` in `data`. Never
   * together with `data`.
   */
  data_base64?: string;
  /**
   * The sequence extension: the event's position among the events of its
   * `source`, as a non-empty, lexicographically orderable string.
   */
  sequence?: string;
  /** Extension attributes. */
  [extension: string]: unknown;
}
