// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// Helpers shared by the HTTP connectors (not exported from mod.ts).

/**
 * A `Retry-After` value in ms from now: delay-seconds or an HTTP date
 * (RFC 9110 section 10.2.3); `undefined` when absent or unreadable.
 */
export function retryAfterMs(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Media types read as newline-delimited JSON. */
const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
  "application/jsonlines",
]);

/** `"json"`, `"ndjson"` or `undefined` for a Content-Type header value. */
export function bodyKind(
  contentType: string | null,
): "json" | "ndjson" | undefined {
  if (contentType === null) return undefined;
  const essence = contentType.split(";")[0]!.trim().toLowerCase();
  if (NDJSON_TYPES.has(essence)) return "ndjson";
  if (essence.endsWith("/json") || essence.endsWith("+json")) return "json";
  return undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();

/** Decodes UTF-8, throwing a SyntaxError on invalid bytes. */
export function utf8(bytes: Uint8Array): string {
  // The lenient decoder is the runtimes' fast path; it turns invalid bytes
  // into U+FFFD, so only a text holding one (rare: invalid, or sent as
  // such) is decoded again strictly to tell which.
  const text = lenient.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  try {
    return decoder.decode(bytes);
  } catch {
    throw new SyntaxError("the body is not valid UTF-8");
  }
}

/** Parses NDJSON text, one value per non-empty line; errors name the line. */
export function parseNdjson(text: string): unknown[] {
  const values: unknown[] = [];
  let start = 0;
  for (let i = 1; start <= text.length; i++) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === "") continue;
    // JSON.parse skips the whitespace around a value itself: trimming
    // first (for blank lines, or a BOM) only when it fails.
    try {
      values.push(JSON.parse(line));
      continue;
    } catch {
      // Blank, padded beyond JSON whitespace, or not JSON: see below.
    }
    const trimmed = line.trim();
    if (trimmed === "") continue;
    try {
      values.push(JSON.parse(trimmed));
    } catch (error) {
      throw new SyntaxError(
        `line ${i} is not JSON: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }
  return values;
}

/** Thrown by {@linkcode readLimited} when a body passes the limit. */
export class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`the body is larger than ${limit} bytes`);
  }
}

/**
 * Reads a body's bytes, counting them as they arrive, and cancels it as
 * soon as it passes `limit` bytes (whatever `content-length` says).
 *
 * With `contentLength`, the request's `content-length` header, at most
 * `limit`: the server delivers exactly that many bytes (HTTP framing, which
 * Deno, Node and workerd enforce), so the body is read in one go, the
 * runtimes' fast path (several times cheaper than reading its chunks).
 */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  contentLength?: string | null,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (contentLength !== undefined && contentLength !== null) {
    const declared = Number(contentLength);
    if (
      contentLength !== "" && Number.isSafeInteger(declared) &&
      declared >= 0 && declared <= limit
    ) {
      const bytes = new Uint8Array(await new Response(body).arrayBuffer());
      if (bytes.byteLength > limit) throw new BodyTooLarge(limit);
      return bytes;
    }
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Checks a positive number option, naming it. */
export function positiveOption(
  where: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    throw new RangeError(
      `Cannot create ${where}: options.${name} must be a positive number, got ${value}`,
    );
  }
  return value;
}

/** Sends one request: `globalThis.fetch`, or anything shaped like it. */
export type Fetch = (request: Request) => Promise<Response>;

/** The first 200 characters of a response body, for errors. */
export async function excerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** The URL without its user info, for errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username !== "" || parsed.password !== "") {
      parsed.username = "";
      parsed.password = "";
    }
    return parsed.href;
  } catch {
    return url;
  }
}

/**
 * Takes user info out of a URL (`fetch` refuses it in a `Request`) into a
 * Basic `authorization` header, set unless `headers` has one.
 */
export function moveCredentials(url: string, headers: Headers): string {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return url;
  if (!headers.has("authorization")) {
    const pair = `${decodeURIComponent(parsed.username)}:${
      decodeURIComponent(parsed.password)
    }`;
    const bytes = new TextEncoder().encode(pair);
    headers.set(
      "authorization",
      `Basic ${btoa(String.fromCharCode(...bytes))}`,
    );
  }
  parsed.username = "";
  parsed.password = "";
  return parsed.href;
}
