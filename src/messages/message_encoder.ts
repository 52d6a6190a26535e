// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "../cloudevents/cloud_event.ts";
import { encodeHttpBinary } from "../cloudevents/encode_http_binary.ts";
import { encodeHttpStructured } from "../cloudevents/encode_http_structured.ts";
import { parseCloudEvent } from "../cloudevents/parse_cloud_event.ts";
import { pointerReader } from "../util/json_pointer.ts";
import { describeValue } from "../util/describe_value.ts";
import { MessageError } from "./message_error.ts";
import { MESSAGE_FORMATS } from "./message_format.ts";
import type { MessageFormat } from "./message_format.ts";

/**
 * Where a part of a message comes from: a function of the record, or (in
 * configs) a JSON pointer into it, such as `"/order/id"` (`""` is the
 * whole record).
 *
 * @typeParam T The record type.
 * @typeParam R What it selects.
 *
 * @example A function and a pointer
 * ```ts
 * import type { FieldSelector } from "@ca/streams/messages";
 *
 * interface Order { id: number }
 * const byFunction: FieldSelector<Order, unknown> = (order) => order.id;
 * const byPointer: FieldSelector<Order, unknown> = "/id";
 * if (typeof byFunction !== "function" || byPointer !== "/id") throw new Error("unexpected");
 * ```
 */
export type FieldSelector<T, R> = ((record: T) => R) | string;

/**
 * How a sink turns a record into a message: each part selected from the
 * record, and the value written per `format`.
 *
 * @typeParam T The record type.
 *
 * @example Key by id, send the payload field as JSON
 * ```ts
 * import { messageEncoder } from "@ca/streams/messages";
 * import type { MessageEncoding } from "@ca/streams/messages";
 *
 * interface Order { id: number; payload: { total: number } }
 * const encoding: MessageEncoding<Order> = { key: "/id", value: (o) => o.payload };
 * const encode = messageEncoder(encoding, "demo");
 * const message = encode({ id: 7, payload: { total: 3 } });
 * if (message.key !== "7" || message.payload !== '{"total":3}') throw new Error("unexpected");
 * ```
 */
export interface MessageEncoding<T> {
  /** The value to send (default: the whole record). */
  value?: FieldSelector<T, unknown>;
  /** The key: a string, a number, a boolean or a bigint; none when absent. */
  key?: FieldSelector<T, unknown>;
  /** Headers or properties: an object of strings (numbers and booleans are written as text). */
  headers?: FieldSelector<T, unknown>;
  /** The stream, subject, topic or routing key, when the record chooses it. */
  topic?: FieldSelector<T, unknown>;
  /**
   * How the value is written (default `"json"`): `"text"` takes a string
   * (or a number or boolean), `"bytes"` a `Uint8Array`, `"cloudevents"` a
   * CloudEvent.
   */
  format?: MessageFormat;
  /**
   * With `format: "cloudevents"`: `"structured"` (default) writes the event
   * as JSON; `"binary"` writes its attributes as `ce-` headers and its data
   * as the payload, for protocols with headers.
   */
  cloudEventsMode?: "structured" | "binary";
}

/**
 * A record encoded for the wire.
 *
 * @example What an encoder returns
 * ```ts
 * import { messageEncoder } from "@ca/streams/messages";
 * import type { EncodedMessage } from "@ca/streams/messages";
 *
 * const message: EncodedMessage = messageEncoder({ format: "text" }, "demo")("hello");
 * if (message.payload !== "hello" || message.key !== undefined) throw new Error("unexpected");
 * ```
 */
export interface EncodedMessage {
  /** The payload: text, or bytes (`"bytes"`, or a CloudEvent's binary data). */
  payload: Uint8Array | string;
  /** The key, when one was selected. */
  key?: string;
  /** The headers, when selected (and a binary CloudEvent's `ce-` headers). */
  headers?: Record<string, string>;
  /** The topic, when the record chose one. */
  topic?: string;
}

/**
 * Makes the function a sink uses to encode each record. Options are checked
 * at once; a record that cannot be encoded throws a `MessageError` naming
 * the connector and the field, so that a sink which encodes its whole batch
 * before sending sends nothing and the pipeline's dead letter can take the
 * record.
 *
 * @typeParam T The record type.
 * @param encoding Where each part comes from, and the value's format.
 * @param connector The connector's name, for errors.
 * @returns A function from a record to its encoded message.
 * @throws {TypeError} When an option is not what it must be.
 *
 * @example A record JSON cannot hold is a MessageError
 * ```ts
 * import { MessageError, messageEncoder } from "@ca/streams/messages";
 *
 * const encode = messageEncoder<{ n: bigint }>({}, "demo-sink");
 * try {
 *   encode({ n: 1n });
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof MessageError)) throw error;
 *   if (!error.message.includes("value")) throw error;
 * }
 * ```
 */
export function messageEncoder<T>(
  encoding: MessageEncoding<T>,
  connector: string,
): (record: T) => EncodedMessage {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(
      `Cannot create ${connector}: ${field} must be ${expected}, got ${
        describeValue(got)
      }`,
    );
  };
  if (encoding === null || typeof encoding !== "object") {
    bad("the message options", "an object", encoding);
  }
  const {
    format = "json",
    cloudEventsMode = "structured",
  } = encoding;
  if (!MESSAGE_FORMATS.includes(format)) {
    bad("format", '"json", "text", "bytes" or "cloudevents"', format);
  }
  if (cloudEventsMode !== "structured" && cloudEventsMode !== "binary") {
    bad("cloudEventsMode", '"structured" or "binary"', cloudEventsMode);
  }
  const select = (field: "value" | "key" | "headers" | "topic") => {
    const selector = encoding[field];
    if (selector === undefined) return undefined;
    if (typeof selector === "function") return selector as (r: T) => unknown;
    if (
      typeof selector !== "string" ||
      (selector !== "" && !selector.startsWith("/"))
    ) {
      bad(
        field,
        'a function of the record or a JSON pointer such as "/id"',
        selector,
      );
    }
    return pointerReader(selector as string) as (record: T) => unknown;
  };
  const value = select("value") ?? ((record: T) => record);
  const key = select("key");
  const headers = select("headers");
  const topic = select("topic");

  return (record) => {
    let field = "value";
    try {
      const message = encodeValue(value(record), format, cloudEventsMode);
      field = "key";
      if (key) {
        const selected = key(record);
        if (selected !== undefined && selected !== null) {
          message.key = scalar(selected, "a string, a number or a boolean");
        }
      }
      field = "headers";
      if (headers) {
        const selected = headers(record);
        if (selected !== undefined && selected !== null) {
          message.headers = { ...message.headers, ...textRecord(selected) };
        }
      }
      field = "topic";
      if (topic) {
        const selected = topic(record);
        if (selected !== undefined && selected !== null) {
          if (typeof selected !== "string" || selected === "") {
            throw new TypeError(
              `must be a non-empty string, got ${describeValue(selected)}`,
            );
          }
          message.topic = selected;
        }
      }
      return message;
    } catch (error) {
      throw new MessageError(
        connector,
        "encode a record",
        `the ${field} ${error instanceof Error ? error.message : error}`,
        record,
      );
    }
  };
}

function encodeValue(
  value: unknown,
  format: MessageFormat,
  mode: "structured" | "binary",
): EncodedMessage {
  switch (format) {
    case "json": {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (error) {
        throw new TypeError(
          `must be a value JSON can hold: ${
            error instanceof Error ? error.message : error
          }`,
        );
      }
      if (text === undefined) {
        throw new TypeError(
          `must be a value JSON can hold, got ${describeValue(value)}`,
        );
      }
      return { payload: text };
    }
    case "text":
      return { payload: scalar(value, "a string, a number or a boolean") };
    case "bytes":
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(
          `must be a Uint8Array, got ${describeValue(value)}`,
        );
      }
      return { payload: value };
    default: {
      const event = parseCloudEvent(value) as CloudEvent;
      const encoded = mode === "binary"
        ? encodeHttpBinary(event)
        : encodeHttpStructured(event);
      const headers: Record<string, string> = {};
      // Structured JSON carries its type in the payload: no headers needed.
      if (mode === "binary") {
        encoded.headers.forEach((text, name) => headers[name] = text);
      }
      const message: EncodedMessage = { payload: encoded.body ?? "" };
      if (mode === "binary") message.headers = headers;
      return message;
    }
  }
}

function scalar(value: unknown, expected: string): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    default:
      throw new TypeError(`must be ${expected}, got ${describeValue(value)}`);
  }
}

function textRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(
      `must be an object of strings, got ${describeValue(value)}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(value)) {
    out[name] = scalar(text, `a string (header ${JSON.stringify(name)})`);
  }
  return out;
}
