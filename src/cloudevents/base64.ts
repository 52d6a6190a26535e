// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Standard base64 (RFC 4648 section 4), padded. */
const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type WithBase64 = Uint8Array & { toBase64?: () => string };
type Uint8ArrayWithBase64 = typeof Uint8Array & {
  fromBase64?: (text: string) => Uint8Array;
};

/** Whether `text` is padded standard base64. */
export function isBase64(text: string): boolean {
  return BASE64.test(text);
}

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  const native = (bytes as WithBase64).toBase64;
  if (typeof native === "function") return native.call(bytes);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decodes padded standard base64 (check it with {@linkcode isBase64} first). */
export function decodeBase64(text: string): Uint8Array {
  const native = (Uint8Array as Uint8ArrayWithBase64).fromBase64;
  if (typeof native === "function") return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
