// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The role a token gives. */
export type Role = "admin" | "viewer";

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
}

/** 1 when the two 32-byte digests are equal, else 0, in time that does not depend on where they differ. */
function same(a: Uint8Array, b: Uint8Array): number {
  let difference = 0;
  for (let i = 0; i < 32; i++) difference |= a[i]! ^ b[i]!;
  return 1 ^ ((difference | -difference) >>> 31);
}

/**
 * The host's bearer tokens, kept as SHA-256 digests only. A presented token
 * is digested and compared with every known digest, each in constant time
 * and all of them whatever matched, so neither the time nor the answer
 * tells how much of a token was right. Tokens are never logged or kept in
 * clear.
 */
export class BearerTokens {
  #digests: Promise<{ admin: Uint8Array[]; viewer: Uint8Array[] }>;

  /**
   * @param tokens Each role's tokens; empty strings are ignored.
   */
  constructor(
    tokens: { admin?: readonly string[]; viewer?: readonly string[] },
  ) {
    const of = (list: readonly string[] | undefined) =>
      Promise.all((list ?? []).filter((token) => token !== "").map(digest));
    this.#digests = Promise.all([of(tokens.admin), of(tokens.viewer)]).then((
      [admin, viewer],
    ) => ({ admin, viewer }));
    // Rejections surface at the first request.
    this.#digests.catch(() => {});
  }

  /**
   * The role of a request's `Authorization` header.
   *
   * @param header The header's value, or `null`.
   * @returns The role, `"none"` without a bearer token, `"unknown"` for a
   * token that is not one of the host's.
   */
  async roleOf(header: string | null): Promise<Role | "none" | "unknown"> {
    const match = header === null ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (match === null) return "none";
    const presented = await digest(match[1]!);
    const { admin, viewer } = await this.#digests;
    let isAdmin = 0;
    let isViewer = 0;
    for (const known of admin) isAdmin |= same(presented, known);
    for (const known of viewer) isViewer |= same(presented, known);
    return isAdmin ? "admin" : isViewer ? "viewer" : "unknown";
  }
}
