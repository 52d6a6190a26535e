// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\\\r\\n]|\\\\.)*"';

/** An RFC 2046 / RFC 9110 media type: `type/subtype` and `; name=value` parameters. */
export const MEDIA_TYPE: RegExp = new RegExp(
  `^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*[ \\t]*$`,
);

/** A content type split into its lower-case essence and charset. */
export interface ParsedMediaType {
  /** `type/subtype`, lower case, without parameters. */
  essence: string;
  /** The `charset` parameter, lower case, when present. */
  charset: string | undefined;
}

/** Splits a Content-Type value; no syntax check (see {@linkcode MEDIA_TYPE}). */
export function parseMediaType(value: string): ParsedMediaType {
  const semi = value.indexOf(";");
  if (semi === -1) {
    return { essence: value.trim().toLowerCase(), charset: undefined };
  }
  const essence = value.slice(0, semi).trim().toLowerCase();
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(value.slice(semi));
  return { essence, charset: match?.[1]?.toLowerCase() };
}

/** Whether a media type essence declares JSON: subtype `json` or ending in `+json`. */
export function isJsonEssence(essence: string): boolean {
  return essence.endsWith("/json") || essence.endsWith("+json");
}

/** Whether a datacontenttype declares JSON data (an absent one does, per the JSON format). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const semi = contentType.indexOf(";");
  const essence = (semi === -1 ? contentType : contentType.slice(0, semi))
    .trim().toLowerCase();
  return isJsonEssence(essence);
}

/** Whether bytes of this media type are text: `text/*`, XML, or a charset parameter. */
export function isTextMediaType(parsed: ParsedMediaType): boolean {
  const { essence, charset } = parsed;
  return essence.startsWith("text/") || essence.endsWith("/xml") ||
    essence.endsWith("+xml") || charset !== undefined;
}
