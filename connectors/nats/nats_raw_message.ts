// Copyright 2026 the @ca/streams authors. MIT license.
// Internal: a NATS message as the message decoder takes it.

import type { RawMessage } from "../../src/messages/decode_message.ts";

/** The parts of a core NATS `Msg` or a JetStream `JsMsg` read here. */
interface NatsMessageParts {
  subject: string;
  data: Uint8Array;
  headers?: {
    keys(): string[];
    get(key: string): string;
  } | undefined;
}

/** The header that carries the key: JetStream deduplicates on it. */
export const MSG_ID_HEADER = "Nats-Msg-Id";

/**
 * The raw message: payload, `topic` = subject, `headers` (the first value
 * of each), `key` = the `Nats-Msg-Id` header, and for a JetStream message
 * `id` (the stream sequence) and `time` (when the stream stored it).
 */
export function natsRawMessage(
  msg: NatsMessageParts,
  sequence?: number,
  timestampNanos?: number,
): RawMessage {
  const raw: RawMessage = { payload: msg.data, topic: msg.subject };
  const headers = msg.headers;
  if (headers !== undefined) {
    const record: Record<string, string> = {};
    let any = false;
    for (const name of headers.keys()) {
      record[name] = headers.get(name);
      any = true;
    }
    if (any) raw.headers = record;
    const key = headers.get(MSG_ID_HEADER);
    if (key !== "") raw.key = key;
  }
  if (sequence !== undefined) raw.id = String(sequence);
  if (timestampNanos !== undefined) raw.time = isoTime(timestampNanos);
  return raw;
}

/** The last millisecond made into text, and its text. */
let lastMs = NaN;
let lastTime = "";

/**
 * The ISO 8601 time of a timestamp in nanoseconds. Messages stored in
 * the same millisecond (dozens, in a busy stream) share one conversion.
 */
function isoTime(timestampNanos: number): string {
  const ms = Math.floor(timestampNanos / 1e6);
  if (ms !== lastMs) {
    lastTime = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastTime;
}
