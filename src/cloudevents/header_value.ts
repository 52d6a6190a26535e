// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Percent-encoding of CloudEvents attribute values in HTTP headers (HTTP
 * binding 3.1.3.2), internal.
 *
 * @module
 */

/** Printable ASCII but space, `"` and `%`: sent as they are. */
const PLAIN = /^[\x21\x23\x24\x26-\x7E]*$/;
const HEX = Array.from(
  { length: 256 },
  (_, i) => `%${i.toString(16).toUpperCase().padStart(2, "0")}`,
);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes an attribute value for a header: every character outside
 * U+0021-U+007E, and space, `"` and `%`, becomes its UTF-8 bytes as `%XY`
 * (upper-case hex).
 */
export function encodeHeaderValue(value: string): string {
  if (PLAIN.test(value)) return value;
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f && code !== 0x22 && code !== 0x25) {
      out += char;
    } else if (code < 0x80) {
      out += HEX[code];
    } else {
      for (const byte of encoder.encode(char)) out += HEX[byte];
    }
  }
  return out;
}

/**
 * Decodes a header value into an attribute value: trims spaces and tabs,
 * unquotes an RFC 9110 quoted-string, then percent-decodes once, rejecting
 * byte sequences that are not UTF-8 (such as the overlong `%C0%A0`).
 * Header values are byte strings (fetch and `node:http` give every byte as
 * one character up to U+00FF), so raw UTF-8 bytes decode as well.
 *
 * @returns The value, or `undefined` when it cannot be decoded.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  let value = raw;
  const first = value.charCodeAt(0), last = value.charCodeAt(value.length - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
    value = value.replace(/^[ \t]+|[ \t]+$/g, "");
  }
  if (value.charCodeAt(0) === 0x22) {
    const unquoted = unquote(value);
    if (unquoted === undefined) return undefined;
    value = unquoted;
  }
  let ascii = true;
  let percent = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25) percent = true;
    else if (code > 0x7e) ascii = false;
  }
  if (ascii && !percent) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25) {
      const byte = parseHex(value, i + 1);
      if (byte === -1) return undefined;
      bytes.push(byte);
      i += 2;
    } else if (code <= 0xff) {
      bytes.push(code);
    } else {
      // Not a byte string (a plain object of headers): the character itself.
      const end = code >= 0xd800 && code <= 0xdbff ? i + 2 : i + 1;
      for (const byte of encoder.encode(value.slice(i, end))) bytes.push(byte);
      i = end - 1;
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

function parseHex(value: string, at: number): number {
  if (at + 2 > value.length) return -1;
  const high = hexDigit(value.charCodeAt(at));
  const low = hexDigit(value.charCodeAt(at + 1));
  return high === -1 || low === -1 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Unquotes `"..."` with backslash escapes; `undefined` when malformed. */
function unquote(value: string): string | undefined {
  if (value.length < 2 || value.charCodeAt(value.length - 1) !== 0x22) {
    return undefined;
  }
  let out = "";
  for (let i = 1; i < value.length - 1; i++) {
    const char = value[i]!;
    if (char === "\\") {
      if (i + 1 >= value.length - 1) return undefined;
      out += value[++i];
    } else if (char === '"') {
      return undefined;
    } else {
      out += char;
    }
  }
  return out;
}
