// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Messages as the broker and HTTP connectors carry them: one
 * {@linkcode Message} shape for every source (`{ value, key?, headers?,
 * topic?, id?, time? }`), the value decoded per a {@linkcode MessageFormat}
 * (`json`, `text`, `bytes` or `cloudevents`), and the encoder a sink uses
 * to take each part of a message from a record. Web-standard: it runs in
 * workers too.
 *
 * ```ts
 * import { decodeMessage, messageEncoder } from "@ca/streams/messages";
 *
 * const encode = messageEncoder<{ id: number }>({ key: "/id" }, "demo-sink");
 * const wire = encode({ id: 7 });
 * const message = decodeMessage({ payload: wire.payload, key: wire.key }, "json", "demo-source");
 * if (message.key !== "7" || (message.value as { id: number }).id !== 7) throw new Error("unexpected");
 * ```
 *
 * @module
 */

export * from "./message.ts";
export * from "./message_format.ts";
export * from "./message_error.ts";
export * from "./decode_message.ts";
export * from "./message_encoder.ts";
