// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";

/**
 * A zod/mini schema of a URL string with one of `schemes` (without the
 * colon), for args such as a store's `url`: a wrong URL is an issue when the
 * config is validated, not when the store connects. The issue reads
 * `expected a redis:// or rediss:// URL, got "http://x"`.
 *
 * @param schemes The URL schemes allowed, such as `["redis", "rediss"]`.
 * @returns The schema.
 */
export function urlArg(schemes: readonly string[]): z.ZodMiniString<string> {
  const words = schemes.map((scheme) => `${scheme}://`);
  const expected = words.length === 1
    ? words[0]
    : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
  return z.string().check(
    z.refine((value) => {
      if (!URL.canParse(value)) return false;
      return schemes.includes(new URL(value).protocol.slice(0, -1));
    }, { message: `expected a ${expected} URL` }),
  );
}
