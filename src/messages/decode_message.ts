// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { decodeHttpMessage } from "../cloudevents/decode_http_message.ts";
import { parseCloudEvent } from "../cloudevents/parse_cloud_event.ts";
import type { Message } from "./message.ts";
import { MessageError } from "./message_error.ts";
import type { MessageFormat } from "./message_format.ts";

/**
 * A message as a client hands it over, before its value is decoded.
 *
 * @example A raw message with headers
 * ```ts
 * import type { RawMessage } from "@ca/streams/messages";
 *
 * const raw: RawMessage = {
 *   payload: new TextEncoder().encode('{"n":1}'),
 *   headers: { "content-type": "application/json" },
 *   topic: "numbers",
 * };
 * if (raw.topic !== "numbers") throw new Error("unexpected");
 * ```
 */
export interface RawMessage {
  /** The payload's bytes, or its text where the client decoded it. */
  payload: Uint8Array | string;
  /** The message's key. */
  key?: string;
  /** Headers or properties, as text. */
  headers?: Record<string, string>;
  /** The stream, subject, topic or routing key. */
  topic?: string;
  /** The server's id. */
  id?: string;
  /** When it was written, as ISO 8601. */
  time?: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a raw message's payload per `format` into a {@linkcode Message}:
 * `"json"` parses JSON text, `"text"` decodes UTF-8, `"bytes"` keeps the
 * bytes, and `"cloudevents"` reads a CloudEvent, in binary mode when the
 * headers carry `ce-specversion` (the `ce-` headers and `content-type`),
 * else as structured JSON.
 *
 * @param raw The payload and what the server said about it.
 * @param format How the value is written.
 * @param connector The connector's name, for errors.
 * @returns The message, its value decoded.
 * @throws {MessageError} When the payload does not decode (invalid UTF-8 or
 * JSON, a CloudEvent that does not validate), with the raw message.
 *
 * @example Decode JSON and CloudEvents
 * ```ts
 * import { decodeMessage } from "@ca/streams/messages";
 *
 * const json = decodeMessage({ payload: '{"n":1}', key: "a" }, "json", "demo");
 * if ((json.value as { n: number }).n !== 1 || json.key !== "a") throw new Error("json");
 *
 * const event = decodeMessage({
 *   payload: '{"n":2}',
 *   headers: {
 *     "ce-specversion": "1.0",
 *     "ce-id": "1",
 *     "ce-source": "/demo",
 *     "ce-type": "demo.created",
 *     "content-type": "application/json",
 *   },
 * }, "cloudevents", "demo");
 * if ((event.value as { type: string }).type !== "demo.created") throw new Error("ce");
 * ```
 */
export function decodeMessage(
  raw: RawMessage,
  format: MessageFormat,
  connector: string,
): Message {
  let value: unknown;
  try {
    value = decodeValue(raw, format);
  } catch (error) {
    throw new MessageError(connector, "decode a message", error, raw);
  }
  const message: Message = { value };
  if (raw.key !== undefined) message.key = raw.key;
  if (raw.headers !== undefined) message.headers = raw.headers;
  if (raw.topic !== undefined) message.topic = raw.topic;
  if (raw.id !== undefined) message.id = raw.id;
  if (raw.time !== undefined) message.time = raw.time;
  return message;
}

function decodeValue(raw: RawMessage, format: MessageFormat): unknown {
  const { payload } = raw;
  switch (format) {
    case "bytes":
      return typeof payload === "string"
        ? new TextEncoder().encode(payload)
        : payload;
    case "text":
      return text(payload);
    case "json":
      return JSON.parse(text(payload));
    case "cloudevents": {
      const headers = raw.headers ?? {};
      const binary = Object.keys(headers).some((name) =>
        name.toLowerCase() === "ce-specversion"
      );
      if (binary) return decodeHttpMessage(headers, payload)[0];
      return parseCloudEvent(JSON.parse(text(payload)));
    }
    default:
      throw new TypeError(
        `the format must be "json", "text", "bytes" or "cloudevents", got ${
          JSON.stringify(format)
        }`,
      );
  }
}

function text(payload: Uint8Array | string): string {
  if (typeof payload === "string") return payload;
  // The lenient decoder is the runtimes' fast path (the fatal one costs
  // several times more per message); it turns invalid bytes into U+FFFD,
  // so only a text holding one is decoded again strictly, to throw.
  const decoded = lenient.decode(payload);
  return decoded.includes("\uFFFD") ? decoder.decode(payload) : decoded;
}

const lenient = new TextDecoder();
