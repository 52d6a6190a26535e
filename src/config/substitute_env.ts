// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConfigIssue } from "./config_issue.ts";
import { childPointer } from "../util/json_pointer.ts";

/** What {@linkcode substituteEnv} returns. */
export interface EnvSubstitution {
  /** A copy of the value with every `${...}` replaced; keys are left alone. */
  value: unknown;
  /**
   * One issue per string that could not be substituted (an unset variable
   * without a default, a malformed `${`), at the string's JSON pointer.
   * Such a string is left as it was.
   */
  issues: ConfigIssue[];
  /** JSON pointers of the strings where a `${...}` was replaced. */
  substituted: string[];
  /** JSON pointers of the strings that took a value from `env` (a subset). */
  fromEnv: string[];
}

/** Options for {@linkcode substituteEnv}. */
export interface SubstituteEnvOptions {
  /** The JSON pointer of `value` itself, prefixed to every path (default `""`). */
  path?: string;
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/;

/**
 * Replaces environment variable references in every string of a parsed
 * config value: `${NAME}` by the variable, `${NAME:-default}` by the
 * variable or, when it is unset or empty, by `default`; `$${` is a literal
 * `${`. Another `$` is left as it is. Variables come from `env` only, never
 * from the runtime's environment.
 *
 * @param value A parsed JSON or YAML value.
 * @param env The variables, such as `Deno.env.toObject()` or `process.env`.
 * @param options `path`: the value's JSON pointer in a larger document.
 * @returns The substituted copy, the issues and where `env` was used.
 *
 * @example Fill in a URL, with a default port
 * ```ts
 * import { substituteEnv } from "./substitute_env.ts";
 *
 * const { value, issues } = substituteEnv(
 *   { url: "http://${HOST}:${PORT:-8080}/", price: "$${5}" },
 *   { HOST: "example.com" },
 * );
 * if (issues.length > 0) throw new Error(issues[0]!.message);
 * const { url, price } = value as { url: string; price: string };
 * if (url !== "http://example.com:8080/") throw new Error(url);
 * if (price !== "${5}") throw new Error(price);
 * ```
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  options: SubstituteEnvOptions = {},
): EnvSubstitution {
  if (env === null || typeof env !== "object") {
    throw new TypeError(
      `Cannot substitute environment variables: env must be an object, got ${
        env === null ? "null" : typeof env
      }`,
    );
  }
  const issues: ConfigIssue[] = [];
  const substituted: string[] = [];
  const fromEnv: string[] = [];
  const visit = (node: unknown, path: string): unknown => {
    if (typeof node === "string") {
      if (!node.includes("$")) return node;
      const result = substituteString(node, env);
      if (result.issue !== undefined) {
        issues.push({ path, ...result.issue });
        return node;
      }
      if (result.replaced) substituted.push(path);
      if (result.usedEnv) fromEnv.push(path);
      return result.text;
    }
    if (Array.isArray(node)) {
      return node.map((item, index) => visit(item, childPointer(path, index)));
    }
    if (node !== null && typeof node === "object") {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) {
        copy[key] = visit(item, childPointer(path, key));
      }
      return copy;
    }
    return node;
  };
  const copy = visit(value, options.path ?? "");
  return { value: copy, issues, substituted, fromEnv };
}

interface StringResult {
  text: string;
  replaced?: boolean;
  usedEnv: boolean;
  issue?: Omit<ConfigIssue, "path">;
}

function substituteString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): StringResult {
  let out = "";
  let usedEnv = false;
  let replaced = false;
  const unset: string[] = [];
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith("$${", dollar)) {
      out += "${";
      i = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== "{") {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    const match = close < 0
      ? null
      : REFERENCE.exec(text.slice(dollar + 2, close));
    if (match === null) {
      const shown = close < 0
        ? text.slice(dollar, dollar + 30)
        : text.slice(dollar, close + 1);
      return {
        text,
        usedEnv,
        issue: {
          message: `expected \${NAME} or \${NAME:-default}, got ${
            JSON.stringify(shown)
          } (write $\${ for a literal "\${")`,
          expected: "${NAME} or ${NAME:-default}",
          received: JSON.stringify(shown),
        },
      };
    }
    const [, name, fallback] = match as unknown as [string, string, string?];
    replaced = true;
    const variable = Object.hasOwn(env, name) ? env[name] : undefined;
    if (fallback !== undefined && (variable === undefined || variable === "")) {
      out += fallback;
    } else if (variable === undefined) {
      unset.push(name);
    } else {
      out += variable;
      usedEnv = true;
    }
    i = close + 1;
  }
  if (unset.length > 0) {
    const names = unset.join(", ");
    const [first] = unset;
    return {
      text,
      usedEnv,
      issue: {
        message: `environment variable${unset.length > 1 ? "s" : ""} ${names} ${
          unset.length > 1 ? "are" : "is"
        } not set (write \${${first}:-default} for a default)`,
        expected: `${names} set in the environment`,
        received: "unset",
      },
    };
  }
  return { text: out, replaced, usedEnv };
}
