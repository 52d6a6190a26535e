// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Closing a WebSocket for the CloudEvents WebSocket reader and writer
 * (internal).
 *
 * @module
 */

/**
 * Closes `socket` with `code` and returns the code it used. The WHATWG
 * `WebSocket.close()` accepts only 1000 and 3000-4999 (browsers, Node's
 * global `WebSocket`, Deno's client), while a server end (Deno's
 * `upgradeWebSocket`, `ws`) accepts the protocol codes too: a refused code
 * 1xxx is sent as 4xxx (1008 as 4008), and failing that the socket is closed
 * with no code. A socket still connecting is closed once it opens, as Deno's
 * server end ignores `close()` before that.
 */
export function closeWebSocket(
  socket: WebSocket,
  code: number,
  reason: string,
): number | undefined {
  if (socket.readyState === 2 || socket.readyState === 3) return undefined;
  // A close reason is at most 123 bytes of UTF-8.
  const text = truncate(reason, 123);
  const close = (): number | undefined => {
    for (const attempt of code < 3000 ? [code, code + 3000] : [code]) {
      try {
        socket.close(attempt, text);
        return attempt;
      } catch {
        // Refused code: try the next.
      }
    }
    try {
      socket.close();
    } catch {
      // Closing already.
    }
    return undefined;
  };
  if (socket.readyState === 0) {
    socket.addEventListener("open", () => close(), { once: true });
  }
  return close();
}

/** Cuts `text` to at most `max` bytes of UTF-8, on a character boundary. */
function truncate(text: string, max: number): string {
  const encoder = new TextEncoder();
  if (text.length * 3 <= max || encoder.encode(text).length <= max) {
    return text;
  }
  let cut = text;
  while (encoder.encode(cut).length > max - 3) cut = cut.slice(0, -1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** Whether a close code says the connection broke rather than closed. */
export function isAbnormalClose(code: number): boolean {
  return code === 1006 || code === 1015;
}

/** The bytes a message takes, or a lower bound above `max` when it is larger. */
export function messageBytes(data: unknown, max: number): number {
  if (typeof data === "string") {
    // UTF-8 takes at least one byte and at most three per UTF-16 unit.
    if (data.length > max || data.length * 3 <= max) return data.length;
    return new TextEncoder().encode(data).length;
  }
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}
