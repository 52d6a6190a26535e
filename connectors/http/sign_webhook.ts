// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { signedContent, webhookKey } from "./_webhook_key.ts";

/**
 * Signs a webhook the Standard Webhooks way (standardwebhooks.com): an
 * HMAC-SHA256 of `${id}.${timestamp}.${body}` with the secret's bytes,
 * written as `v1,<base64>`, the value of the `webhook-signature` header. A
 * sender sets it with `webhook-id` and `webhook-timestamp` (Unix seconds);
 * {@linkcode webhookSource} checks it with the same secret. Uses only
 * `crypto.subtle`, so it runs in workers too.
 *
 * @param secret The shared secret: `whsec_` followed by base64 bytes.
 * @param id The webhook id (the `webhook-id` header).
 * @param timestamp Unix seconds (the `webhook-timestamp` header).
 * @param body The exact body that is sent, as text or bytes.
 * @returns The signature, `v1,<base64>`.
 * @throws {TypeError} When the secret does not start with `whsec_` or is not base64.
 *
 * @example Send a signed webhook
 * ```ts
 * import { signWebhook } from "@ca/streams/http";
 *
 * const secret = "whsec_" + btoa("a secret of enough bytes");
 * const body = JSON.stringify({ order: 7 });
 * const timestamp = Math.floor(Date.now() / 1000);
 * const signature = await signWebhook(secret, "msg_1", timestamp, body);
 * const request = new Request("http://localhost/hooks", {
 *   method: "POST",
 *   headers: {
 *     "content-type": "application/json",
 *     "webhook-id": "msg_1",
 *     "webhook-timestamp": String(timestamp),
 *     "webhook-signature": signature,
 *   },
 *   body,
 * });
 * if (!request.headers.get("webhook-signature")!.startsWith("v1,")) throw new Error("unexpected");
 * ```
 */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number | string,
  body: string | Uint8Array,
): Promise<string> {
  const key = await webhookKey(secret, "sign a webhook");
  const bytes = typeof body === "string"
    ? new TextEncoder().encode(body)
    : body;
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    signedContent(id, String(timestamp), bytes),
  );
  let text = "";
  for (const byte of new Uint8Array(mac)) text += String.fromCharCode(byte);
  return `v1,${btoa(text)}`;
}
