// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A message as every broker and HTTP source yields it: the decoded value
 * and what the server said about it. `topic` is the stream, subject, topic
 * or routing key; `id` the server's id for the message (a stream entry id,
 * a JetStream sequence, an AMQP message id, a webhook id).
 *
 * @typeParam T The value's type.
 *
 * @example A message as a source yields it
 * ```ts
 * import type { Message } from "@ca/streams/messages";
 *
 * const message: Message<{ total: number }> = {
 *   value: { total: 3 },
 *   key: "order-7",
 *   topic: "orders",
 *   headers: { "trace-id": "abc" },
 *   id: "1700000000000-0",
 *   time: "2026-12-06T05:00:00.000Z",
 * };
 * if (message.value.total !== 3) throw new Error("unexpected");
 * ```
 */
export interface Message<T = unknown> {
  /** The value, decoded per the source's `format`. */
  value: T;
  /** The message's key, when it has one. */
  key?: string;
  /** Headers or properties, as text. */
  headers?: Record<string, string>;
  /** The stream, subject, topic or routing key it came from. */
  topic?: string;
  /** The server's id for the message. */
  id?: string;
  /** When the server says it was written, as ISO 8601. */
  time?: string;
}
