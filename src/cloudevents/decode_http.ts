// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import { decodeBody, detectMode } from "./http_decoding.ts";
import type { ValidateCloudEventOptions } from "./validate_cloud_event.ts";

/**
 * Options for {@linkcode decodeHttp}.
 *
 * @example Refuse a body over 16 bytes with 413
 * ```ts
 * import { CloudEventError, decodeHttp, encodeHttpStructured } from "@ca/streams/cloudevents";
 * import type { DecodeHttpOptions } from "@ca/streams/cloudevents";
 *
 * const options: DecodeHttpOptions = { maxBodyBytes: 16 };
 * const message = encodeHttpStructured({ specversion: "1.0", id: "1", source: "/s", type: "t" });
 * const request = new Request("http://localhost/", { method: "POST", ...message });
 * const error = await decodeHttp(request, options).then(() => undefined, (e: unknown) => e);
 * if (!(error instanceof CloudEventError) || error.status !== 413) throw new Error("unexpected");
 * ```
 */
export interface DecodeHttpOptions extends ValidateCloudEventOptions {
  /** The largest body read, in bytes (default 1 MiB); larger fails with 413. */
  maxBodyBytes?: number;
}

/** The default body limit: 1 MiB. */
const DEFAULT_MAX_BODY_BYTES = 1 << 20;

/**
 * Reads and decodes the CloudEvents of a `Request` or a `Response`, in any
 * mode (see `decodeHttpMessage()`). The mode is found from the headers
 * before the body is read, so an unsupported content type costs no read;
 * a body over `maxBodyBytes` is cancelled as soon as that is known: from
 * its `content-length`, or else once the bytes read pass the limit (they
 * are counted whatever `content-length` says).
 *
 * @typeParam T The type of `data` (not checked).
 * @param message A request (as a server receives it) or a response.
 * @param options `maxBodyBytes` (default 1 MiB), `strict`.
 * @returns The events.
 * @throws {CloudEventError} `status` 413 for a body over the limit, 415 for
 * an unsupported content type, 400 with `issues` for invalid events or a
 * `content-length` that is not a number.
 *
 * @example Decode a structured-mode request
 * ```ts
 * import { decodeHttp } from "@ca/streams/cloudevents";
 *
 * const request = new Request("http://localhost/events", {
 *   method: "POST",
 *   headers: { "content-type": "application/cloudevents+json" },
 *   body: '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":[1,2]}',
 * });
 * const [event] = await decodeHttp(request);
 * if (JSON.stringify(event?.data) !== "[1,2]") throw new Error("unexpected");
 * ```
 */
export async function decodeHttp<T = unknown>(
  message: Request | Response,
  options: DecodeHttpOptions = {},
): Promise<CloudEvent<T>[]> {
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(max >= 0)) {
    throw new RangeError(
      `Cannot decode CloudEvents: options.maxBodyBytes must be a non-negative number, got ${max}`,
    );
  }
  let detected;
  try {
    detected = detectMode(message.headers);
  } catch (error) {
    await message.body?.cancel().catch(() => {});
    throw error;
  }
  const body = await readBody(message, max);
  return decodeBody<T>(detected, body, options.strict === true);
}

function tooLarge(max: number): CloudEventError {
  return new CloudEventError(
    `Cannot read CloudEvents: the body is larger than ${max} bytes`,
    [],
    { status: 413 },
  );
}

/** `Content-Length` (RFC 9110 section 8.6): one or more decimal digits. */
const CONTENT_LENGTH = /^[0-9]+$/;

function badContentLength(value: string): CloudEventError {
  const received = JSON.stringify(value);
  return new CloudEventError(
    `Cannot read CloudEvents: the content-length header ${received} is not a number of bytes`,
    [{
      path: [],
      expected: "a content-length header of decimal digits",
      received,
      message: `content-length: expected decimal digits, received ${received}`,
    }],
  );
}

/**
 * Reads a body of at most `max` bytes; `null` for none. Bytes are counted
 * as they arrive, whatever `content-length` says (a proxy may have changed
 * the body and kept the header): the stream is cancelled as soon as they
 * pass `max`. A `content-length` above `max` is refused before any read,
 * one that is not a number with 400.
 */
async function readBody(
  message: Request | Response,
  max: number,
): Promise<Uint8Array | null> {
  const stream = message.body;
  if (stream === null) return null;
  const header = message.headers.get("content-length");
  if (header !== null) {
    if (!CONTENT_LENGTH.test(header)) {
      await stream.cancel().catch(() => {});
      throw badContentLength(header);
    }
    if (Number(header) > max) {
      await stream.cancel().catch(() => {});
      throw tooLarge(max);
    }
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
