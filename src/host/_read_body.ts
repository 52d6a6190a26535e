// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { HostError } from "./_host_error.ts";

/**
 * Reads a request's body as UTF-8 text, refusing more than `maxBytes`
 * bytes however the body arrives: a `content-length` above the limit is
 * refused before reading, and a body without one (or lying about it) is
 * cut off once it passes the limit.
 *
 * @param request The request.
 * @param maxBytes The limit.
 * @param doing What the request does, for messages: `create connector`.
 * @returns The text; `""` for no body.
 * @throws {HostError} `CA_ERR_HOST_BODY_TOO_LARGE`, or
 * `CA_ERR_HOST_BAD_REQUEST` for a body that is not UTF-8.
 */
export async function readBody(
  request: Request,
  maxBytes: number,
  doing: string,
): Promise<string> {
  const tooLarge = () =>
    new HostError(
      "CA_ERR_HOST_BODY_TOO_LARGE",
      `Cannot ${doing}: the body is larger than ${maxBytes} bytes`,
    );
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HostError(
      "CA_ERR_HOST_BAD_REQUEST",
      `Cannot ${doing}: the body is not UTF-8 text`,
    );
  }
}
