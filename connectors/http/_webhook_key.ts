// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// Standard Webhooks secrets and signed content (not exported from mod.ts).

const encoder = new TextEncoder();

/**
 * The HMAC-SHA256 key of a Standard Webhooks secret: `whsec_` followed by
 * base64 bytes. Throws a TypeError naming `where` when it is not one.
 */
export function webhookKey(secret: string, where: string): Promise<CryptoKey> {
  if (typeof secret !== "string" || !secret.startsWith("whsec_")) {
    throw new TypeError(
      `Cannot ${where}: the secret must be a string starting with "whsec_", got ${
        typeof secret === "string" ? "another string" : typeof secret
      }`,
    );
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0));
  } catch {
    throw new TypeError(
      `Cannot ${where}: the secret after "whsec_" must be base64`,
    );
  }
  if (bytes.length === 0) {
    throw new TypeError(`Cannot ${where}: the secret after "whsec_" is empty`);
  }
  return crypto.subtle.importKey(
    "raw",
    bytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** What is signed: `${id}.${timestamp}.` followed by the body's bytes. */
export function signedContent(
  id: string,
  timestamp: string,
  body: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const head = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(head.length + body.length);
  content.set(head);
  content.set(body, head.length);
  return content;
}
