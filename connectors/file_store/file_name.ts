// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Characters kept as they are in a file name. */
const PLAIN = /^[a-z0-9_-]$/;
/** Names Windows reserves for devices, whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;
/** Longer encodings are cut and completed by a hash of the id. */
const MAX_ENCODED = 150;
const KEPT_WHEN_HASHED = 100;

const encoder = new TextEncoder();

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

function escape(char: string): string {
  return [...encoder.encode(char)].map((b) =>
    "%" + b.toString(16).padStart(2, "0")
  ).join("");
}

/**
 * Turns a checkpoint id into the base of its file names, the same on every
 * file system: lower-case letters, digits, `_` and `-` stay; an upper-case
 * letter becomes `^` and the letter in lower case (so `Orders` and `orders`
 * differ on case-insensitive file systems too); every other character
 * becomes `%` and the hex of its UTF-8 bytes. Names Windows reserves
 * (`con`, `nul`, ...) escape their first letter, the empty id is `%`, and
 * an encoding longer than 150 characters keeps its first 100 followed by
 * `~` and the SHA-256 of the id.
 *
 * @param id The checkpoint id.
 * @returns A file name base that no other id maps to.
 */
export async function checkpointFileName(id: string): Promise<string> {
  if (id === "") return "%";
  let name = "";
  for (const char of id) {
    if (PLAIN.test(char)) name += char;
    else if (char >= "A" && char <= "Z") name += "^" + char.toLowerCase();
    else name += escape(char);
  }
  if (RESERVED.test(name)) name = escape(name[0]) + name.slice(1);
  if (name.length <= MAX_ENCODED) return name;
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(id));
  return `${name.slice(0, KEPT_WHEN_HASHED)}~${hex(new Uint8Array(digest))}`;
}
