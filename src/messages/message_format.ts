// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * How a message's value is written on the wire: `"json"` (JSON text, the
 * default), `"text"` (a string), `"bytes"` (a `Uint8Array`, untouched) or
 * `"cloudevents"` (a CloudEvent: structured JSON, or the binary-mode
 * `ce-` headers where the protocol has headers).
 *
 * @example Every format
 * ```ts
 * import { MESSAGE_FORMATS } from "@ca/streams/messages";
 * import type { MessageFormat } from "@ca/streams/messages";
 *
 * const format: MessageFormat = "json";
 * if (!MESSAGE_FORMATS.includes(format)) throw new Error("unexpected");
 * ```
 */
export type MessageFormat = "json" | "text" | "bytes" | "cloudevents";

/**
 * The message formats, in the order the docs list them.
 *
 * @example Check a format read from somewhere untyped
 * ```ts
 * import { MESSAGE_FORMATS } from "@ca/streams/messages";
 *
 * const given: string = "text";
 * if (!(MESSAGE_FORMATS as readonly string[]).includes(given)) throw new Error("unknown");
 * ```
 */
export const MESSAGE_FORMATS: readonly MessageFormat[] = Object.freeze([
  "json",
  "text",
  "bytes",
  "cloudevents",
]);
