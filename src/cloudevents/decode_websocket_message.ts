// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import { decodeBody } from "./http_decoding.ts";
import type { ValidateCloudEventOptions } from "./validate_cloud_event.ts";

/**
 * Decodes one WebSocket message of the `cloudevents.json` subprotocol: a
 * single event in the JSON event format, checked against the spec. Senders
 * must use text messages; bytes are accepted as UTF-8 text, because some
 * WebSocket libraries hand text messages over as bytes.
 *
 * @typeParam T The type of `data` (not checked).
 * @param message The message: `event.data` of a `MessageEvent`.
 * @param options `strict`: enforce the spec's recommendations too.
 * @returns The event.
 * @throws {CloudEventError} With `issues` naming each bad attribute.
 *
 * @example Decode a message
 * ```ts
 * import { decodeWebSocketMessage } from "@ca/streams/cloudevents";
 *
 * const event = decodeWebSocketMessage(
 *   '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"n":1}}',
 * );
 * if ((event.data as { n: number }).n !== 1) throw new Error("unexpected");
 * ```
 */
export function decodeWebSocketMessage<T = unknown>(
  message: string | ArrayBuffer | ArrayBufferView,
  options: ValidateCloudEventOptions = {},
): CloudEvent<T> {
  let body: string | Uint8Array;
  if (typeof message === "string") body = message;
  else if (message instanceof ArrayBuffer) body = new Uint8Array(message);
  else if (ArrayBuffer.isView(message)) {
    body = new Uint8Array(
      message.buffer,
      message.byteOffset,
      message.byteLength,
    );
  } else {
    throw new CloudEventError(
      `Cannot read CloudEvent: a WebSocket message must be text or bytes, got ${typeof message}`,
      [{
        path: [],
        expected: "a text message",
        received: typeof message,
        message: `event: expected a text message, received ${typeof message}`,
      }],
    );
  }
  return decodeBody<T>(
    { mode: "structured", contentType: undefined, headers: new Headers() },
    body,
    options.strict === true,
  )[0]!;
}
