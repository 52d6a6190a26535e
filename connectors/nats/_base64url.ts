// Copyright 2026 the @ca/streams authors. MIT license.

// Ids as NATS subject tokens and KV keys: any text, the empty one too,
// becomes a token of A-Z a-z 0-9 _ -, one to one.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The base64url (no padding) of the UTF-8 bytes of `text`. */
export function base64url(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** The text of a base64url token; `undefined` when it is not one `base64url()` makes. */
export function fromBase64url(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const binary = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    const text = decoder.decode(
      Uint8Array.from(binary, (char) => char.charCodeAt(0)),
    );
    return base64url(text) === token ? text : undefined;
  } catch {
    return undefined;
  }
}
