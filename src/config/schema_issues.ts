// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConfigIssue } from "./config_issue.ts";
import { describeReceived } from "./describe_received.ts";
import { childPointer, toPointer, valueAt } from "../util/json_pointer.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";
import { didYouMean, quotedList } from "./suggest.ts";
import { zodKeysAt } from "./zod_keys.ts";

/** What {@linkcode toConfigIssues} needs besides the issues. */
export interface IssueContext {
  /** The JSON pointer of the validated value, such as `/processors/2/args`. */
  base: string;
  /** The validated value: `received` is read from it. */
  input: unknown;
  /** The schema, for the known keys of an object (zod schemas only). */
  schema: unknown;
  /** Renders a received value at a pointer (default {@linkcode describeReceived}). */
  describe?: (pointer: string, value: unknown) => string;
  /** Words for regular expressions, keyed by `RegExp.source`. */
  patternWords?: ReadonlyMap<string, string>;
}

type ZodIssue = Record<string, unknown> & {
  code: string;
  message: string;
  path?: readonly PropertyKey[];
};

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  object: "an object",
  record: "an object",
  array: "an array",
  tuple: "an array",
  null: "null",
  undefined: "nothing",
  bigint: "a bigint",
  date: "a date",
  symbol: "a symbol",
  function: "a function",
  map: "a Map",
  set: "a Set",
  nan: "NaN",
  never: "nothing (no value is allowed here)",
};

const FORMAT_WORDS: Record<string, string> = {
  url: "a URL",
  email: "an email address",
  uuid: "a UUID",
  guid: "a GUID",
  datetime: "an ISO 8601 date-time",
  date: "an ISO 8601 date (YYYY-MM-DD)",
  time: "an ISO 8601 time",
  duration: "an ISO 8601 duration",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
  cidrv4: "an IPv4 CIDR range",
  cidrv6: "an IPv6 CIDR range",
  hostname: "a hostname",
  base64: "base64 text",
  base64url: "base64url text",
  jwt: "a JWT",
  e164: "an E.164 phone number",
  lowercase: "a lowercase string",
  uppercase: "an uppercase string",
};

/** Keys of a Standard Schema issue's path, with segment objects unwrapped. */
function pathKeys(issue: StandardSchemaV1.Issue): PropertyKey[] {
  return (issue.path ?? []).map((segment) =>
    segment !== null && typeof segment === "object" ? segment.key : segment
  );
}

function isZodIssue(issue: StandardSchemaV1.Issue): issue is ZodIssue {
  return typeof (issue as { code?: unknown }).code === "string";
}

/**
 * Turns a Standard Schema's issues into config issues. Zod issues get
 * messages of the form "expected X, got Y"; other libraries' messages are
 * kept, with the received value read from the input.
 *
 * @param issues The issues of a failed validation.
 * @param vendor The schema's `~standard.vendor`.
 * @param context Where the value is, the value and its schema.
 * @returns One config issue per problem (per key for unknown keys).
 */
export function toConfigIssues(
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
  vendor: string,
  context: IssueContext,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  // A value of the wrong type also fails checks meant for the right type
  // (zod checks an array's length on a string): report the type alone.
  const wrongType = new Set(
    issues.filter((issue) =>
      vendor === "zod" && isZodIssue(issue) && issue.code === "invalid_type"
    ).map((issue) => toPointer(pathKeys(issue))),
  );
  for (const issue of issues) {
    const keys = pathKeys(issue);
    const relative = toPointer(keys);
    const pointer = context.base + relative;
    const value = valueAt(context.input, relative);
    if (
      wrongType.has(relative) && isZodIssue(issue) &&
      issue.code !== "invalid_type"
    ) continue;
    if (vendor !== "zod" || !isZodIssue(issue)) {
      out.push({
        path: pointer,
        message: issue.message,
        ...(value === undefined
          ? {}
          : { received: describe(context, pointer, value) }),
      });
      continue;
    }
    out.push(...fromZod(issue, keys, pointer, value, context));
  }
  return out;
}

function describe(
  context: IssueContext,
  pointer: string,
  value: unknown,
): string {
  return context.describe?.(pointer, value) ?? describeReceived(value);
}

function issue(
  pointer: string,
  expected: string,
  received: string,
  prefix = "",
): ConfigIssue {
  return {
    path: pointer,
    message: `${prefix}expected ${expected}, got ${received}`,
    expected,
    received,
  };
}

function fromZod(
  zod: ZodIssue,
  keys: PropertyKey[],
  pointer: string,
  value: unknown,
  context: IssueContext,
): ConfigIssue[] {
  const received = describe(context, pointer, value);
  const expected = zodExpected(zod, value, context);
  if (zod.code === "unrecognized_keys") {
    const known = zodKeysAt(context.schema, keys) ?? [];
    return (zod.keys as string[]).map((key) => ({
      path: childPointer(pointer, key),
      message: `unknown key ${JSON.stringify(key)}${didYouMean(key, known)}${
        known.length > 0 ? `; expected ${keyList(known)}` : ""
      }`,
      ...(known.length > 0 ? { expected: keyList(known) } : {}),
      received: JSON.stringify(key),
    }));
  }
  if (zod.code === "invalid_key") {
    const key = keys.at(-1);
    const inner = (zod.issues as ZodIssue[] | undefined)?.[0];
    const innerExpected = inner === undefined
      ? undefined
      : zodExpected(inner, key, context);
    return [
      issue(
        pointer,
        innerExpected ?? "a valid key",
        JSON.stringify(String(key)),
        "invalid key: ",
      ),
    ];
  }
  if (expected === undefined) {
    // A custom check that words its message "expected X" gets ", got Y"
    // here, where a value from the environment is shown by its reference.
    if (zod.code === "custom" && /^expected /.test(zod.message)) {
      return [issue(pointer, zod.message.slice("expected ".length), received)];
    }
    return [{ path: pointer, message: zod.message, received }];
  }
  if (value === undefined && zod.code === "invalid_type") {
    return [issue(pointer, expected, received, "required: ")];
  }
  return [issue(pointer, expected, received)];
}

function keyList(known: readonly string[]): string {
  return known.length === 1
    ? JSON.stringify(known[0])
    : `one of ${quotedList(known)}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** What a `too_small` or `too_big` zod issue expected, in words. */
function boundWords(zod: ZodIssue): string {
  const small = zod.code === "too_small";
  const bound = Number(small ? zod.minimum : zod.maximum);
  const inclusive = zod.inclusive !== false;
  switch (zod.origin) {
    case "number":
    case "int":
    case "bigint":
      return `a number ${small ? ">" : "<"}${inclusive ? "=" : ""} ${bound}`;
    case "string":
      if (small && bound === 1) return "a non-empty string";
      return `a string of ${small ? "at least" : "at most"} ${
        plural(bound, "character")
      }`;
    case "array":
    case "set":
      return `${small ? "at least" : "at most"} ${plural(bound, "item")}`;
    default:
      return `a value ${small ? ">" : "<"}${inclusive ? "=" : ""} ${bound}`;
  }
}

/** What a zod issue expected, in words, or `undefined` when unknown. */
function zodExpected(
  zod: ZodIssue,
  value: unknown,
  context: IssueContext,
): string | undefined {
  switch (zod.code) {
    case "invalid_type": {
      const type = String(zod.expected);
      return TYPE_WORDS[type] ?? `a value of type ${type}`;
    }
    case "invalid_value": {
      const values = zod.values as unknown[];
      return values.length === 1
        ? JSON.stringify(values[0])
        : `one of ${quotedList(values)}`;
    }
    case "too_small":
    case "too_big":
      return boundWords(zod);
    case "invalid_format": {
      const format = String(zod.format);
      if (format === "regex") {
        const pattern = String(zod.pattern ?? "");
        const source = pattern.startsWith("/")
          ? pattern.slice(1, pattern.lastIndexOf("/"))
          : pattern;
        return context.patternWords?.get(source) ??
          `a string matching ${pattern}`;
      }
      if (format === "starts_with") {
        return `a string starting with ${JSON.stringify(zod.prefix)}`;
      }
      if (format === "ends_with") {
        return `a string ending with ${JSON.stringify(zod.suffix)}`;
      }
      if (format === "includes") {
        return `a string including ${JSON.stringify(zod.includes)}`;
      }
      return FORMAT_WORDS[format] ?? `a valid ${format}`;
    }
    case "not_multiple_of":
      return `a multiple of ${zod.divisor}`;
    case "invalid_union": {
      if (Array.isArray(zod.options) && zod.discriminator !== undefined) {
        return `one of ${quotedList(zod.options)}`;
      }
      const branches = (zod.errors as ZodIssue[][] | undefined) ?? [];
      const words: string[] = [];
      for (const branch of branches) {
        const [first] = branch;
        if (
          branch.length !== 1 || first === undefined ||
          (first.path?.length ?? 0) > 0
        ) {
          return undefined;
        }
        const word = zodExpected(first, value, context);
        if (word === undefined) return undefined;
        if (!words.includes(word)) words.push(word);
      }
      if (words.length === 0) return undefined;
      return words.length === 1
        ? words[0]
        : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
    }
    default:
      return undefined;
  }
}
