// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * RFC 3986 syntax checks for `source` (a URI-reference) and `dataschema`
 * (a URI) (internal). The grammar of RFC 3986 appendix A, rule by rule,
 * composed into two regular expressions; only the inside of an IPv6
 * literal is checked by a function, where a regular expression would be
 * unreadable. No rule can match the same character two ways, so a check
 * takes time linear in the string's length.
 *
 * @module
 */

// unreserved    = ALPHA / DIGIT / "-" / "." / "_" / "~"
const UNRESERVED = "A-Za-z0-9\\-._~";
// sub-delims    = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
const SUB_DELIMS = "!$&'()*+,;=";
// pct-encoded   = "%" HEXDIG HEXDIG
const PCT_ENCODED = "%[0-9A-Fa-f]{2}";

/**
 * `*( <chars> / pct-encoded )`, written as `[chars]*(?:%XX[chars]*)*`:
 * the same language, matched without trying two alternatives per
 * character, which makes it about twice as fast.
 */
function star(chars: string): string {
  return `[${chars}]*(?:${PCT_ENCODED}[${chars}]*)*`;
}

/** `1*( <chars> / pct-encoded )`. */
function plus(chars: string): string {
  return `(?:[${chars}]|${PCT_ENCODED})${star(chars)}`;
}

// pchar         = unreserved / pct-encoded / sub-delims / ":" / "@"
const PCHAR = `${UNRESERVED}${SUB_DELIMS}:@`;
// segment       = *pchar
const SEGMENT = star(PCHAR);
// segment-nz    = 1*pchar
const SEGMENT_NZ = plus(PCHAR);
// segment-nz-nc = 1*( unreserved / pct-encoded / sub-delims / "@" ): no ":"
const SEGMENT_NZ_NC = plus(`${UNRESERVED}${SUB_DELIMS}@`);
// query = fragment = *( pchar / "/" / "?" )
const QUERY = star(`${PCHAR}/?`);
// scheme        = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
const SCHEME = "[A-Za-z][A-Za-z0-9+\\-.]*";
// userinfo      = *( unreserved / pct-encoded / sub-delims / ":" )
const USERINFO = star(`${UNRESERVED}${SUB_DELIMS}:`);
// IP-literal    = "[" ( IPv6address / IPvFuture ) "]", the inside captured
// for isIpLiteral(); reg-name = *( unreserved / pct-encoded / sub-delims ),
// which also matches every IPv4address.
const HOST = `(?:\\[([^\\]]*)\\]|${star(`${UNRESERVED}${SUB_DELIMS}`)})`;
// authority     = [ userinfo "@" ] host [ ":" port ]; port = *DIGIT
const AUTHORITY = `(?:${USERINFO}@)?${HOST}(?::[0-9]*)?`;
// path-abempty  = *( "/" segment )
const PATH_ABEMPTY = `(?:/${SEGMENT})*`;
// path-absolute = "/" [ segment-nz *( "/" segment ) ]
const PATH_ABSOLUTE = `/(?:${SEGMENT_NZ}${PATH_ABEMPTY})?`;
// path-rootless = segment-nz *( "/" segment )
const PATH_ROOTLESS = `${SEGMENT_NZ}${PATH_ABEMPTY}`;
// path-noscheme = segment-nz-nc *( "/" segment )
const PATH_NOSCHEME = `${SEGMENT_NZ_NC}${PATH_ABEMPTY}`;
// hier-part     = "//" authority path-abempty / path-absolute
//               / path-rootless / path-empty
const HIER_PART =
  `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS})?`;
// relative-part = "//" authority path-abempty / path-absolute
//               / path-noscheme / path-empty
const RELATIVE_PART =
  `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_NOSCHEME})?`;
// [ "?" query ] [ "#" fragment ]
const TAIL = `(?:\\?${QUERY})?(?:#${QUERY})?`;

/** URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ] */
const URI = new RegExp(`^${SCHEME}:${HIER_PART}${TAIL}$`);
/** relative-ref = relative-part [ "?" query ] [ "#" fragment ] */
const RELATIVE_REF = new RegExp(`^${RELATIVE_PART}${TAIL}$`);

/** h16 = 1*4HEXDIG */
const H16 = /^[0-9A-Fa-f]{1,4}$/;
/** IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet */
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;
/** IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
const IPV_FUTURE = new RegExp(
  `^[vV][0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+$`,
);

/**
 * Whether the inside of `[...]` is an IPv6address or an IPvFuture: eight
 * 16-bit pieces (the last two may be an IPv4address), or fewer with one
 * `::` standing for the missing ones.
 */
function isIpLiteral(inside: string): boolean {
  if (IPV_FUTURE.test(inside)) return true;
  const halves = inside.split("::");
  if (halves.length > 2) return false;
  const pieces = (half: string) => half === "" ? [] : half.split(":");
  const head = pieces(halves[0]!);
  const tail = halves.length === 2 ? pieces(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  for (let i = 0; i < all.length; i++) {
    const piece = all[i]!;
    if (H16.test(piece)) continue;
    // An IPv4address only as the very last piece.
    if (i !== all.length - 1 || !IPV4.test(piece)) return false;
    count++;
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Whether `value` matches `grammar`, an IP literal in it included. */
function matches(grammar: RegExp, value: string): boolean {
  if (!value.includes("[")) return grammar.test(value);
  const match = grammar.exec(value);
  if (match === null) return false;
  return match[1] === undefined || isIpLiteral(match[1]);
}

/**
 * Whether a string is an RFC 3986 URI-reference: a URI (with a scheme) or
 * a relative reference. Characters outside the grammar must be
 * percent-encoded; a first path segment with `:` makes a scheme, so it is
 * refused when what precedes the `:` is not one (`":foo"`, `"1http:x"`);
 * brackets only enclose an IP literal host.
 */
export function isUriReference(value: string): boolean {
  return matches(URI, value) || matches(RELATIVE_REF, value);
}

/**
 * Whether a string is an RFC 3986 URI (section 3): a scheme, then the
 * hierarchical part, query and fragment. The CloudEvents JSON schema
 * checks `dataschema` as this (`format: uri`), fragment allowed.
 */
export function isUri(value: string): boolean {
  return matches(URI, value);
}
