// Copyright 2026 the @ca/streams authors. MIT license.
// Stream entries out of XREADGROUP and XAUTOCLAIM replies, in RESP2 or
// RESP3 shape, with bulk strings as text or as bytes.

/** One stream entry: its id and its fields (`null` once deleted). */
export interface StreamEntry {
  id: string;
  fields: Array<string | Uint8Array> | null;
}

const decoder = new TextDecoder();

/** A bulk string as text. */
export function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return decoder.decode(value);
  return String(value);
}

function entries(list: unknown): StreamEntry[] {
  if (!Array.isArray(list)) return [];
  return list.map((entry) => {
    const [id, fields] = entry as [unknown, unknown];
    return {
      id: text(id),
      fields: Array.isArray(fields)
        ? fields as Array<string | Uint8Array>
        : null,
    };
  });
}

/** The entries of one stream in an XREADGROUP reply (`null` when none). */
export function readReplyEntries(reply: unknown): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    // RESP2: [[stream, [[id, [field, value, ...]], ...]]]
    const first = reply[0] as [unknown, unknown] | undefined;
    return first === undefined ? [] : entries(first[1]);
  }
  // RESP3: a map of stream to entries.
  const values = reply instanceof Map
    ? [...reply.values()]
    : Object.values(reply as object);
  return entries(values[0]);
}

/** The next cursor and the entries of an XAUTOCLAIM reply. */
export function claimReplyEntries(
  reply: unknown,
): { next: string; entries: StreamEntry[] } {
  const [next, list] = reply as [unknown, unknown];
  return { next: text(next), entries: entries(list) };
}
