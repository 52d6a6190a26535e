// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { parseDocument } from "yaml";
import { describeError } from "../errors/describe_error.ts";
import type { ConfigIssue } from "./config_issue.ts";

/** The parsed value, or the syntax issues (at path `""`). */
export type Decoded =
  | { ok: true; value: unknown }
  | { ok: false; issues: ConfigIssue[]; cause?: unknown };

function syntaxIssue(
  line: number | undefined,
  column: number | undefined,
  message: string,
): ConfigIssue {
  return line === undefined ? { path: "", message } : {
    path: "",
    message: `line ${line}, column ${column}: ${message}`,
    line,
    column: column ?? 1,
  };
}

/** The 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): [number, number] {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  return [line, offset - before.lastIndexOf("\n")];
}

/** The key written at an offset, for a duplicate key message. */
function keyAt(text: string, offset: number): string {
  const end = text.indexOf("\n", offset);
  const rest = text.slice(offset, end < 0 ? undefined : end);
  const match = /^(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^:,{}[\]]*?))\s*:/.exec(
    rest,
  );
  return (match?.[1] ?? match?.[2] ?? match?.[3] ?? rest).trim();
}

/** Duplicate keys found by the YAML parser (which also reads JSON). */
function duplicateKeys(text: string): ConfigIssue[] {
  const document = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: true,
  });
  return document.errors
    .filter((error) => error.code === "DUPLICATE_KEY")
    .map((error) => {
      const [line, column] = lineColumn(text, error.pos[0]);
      return syntaxIssue(
        line,
        column,
        `duplicate key ${
          JSON.stringify(keyAt(text, error.pos[0]))
        } (keys must be unique)`,
      );
    });
}

/**
 * The offset of the first JSON syntax error in `text` (its length when the
 * text ends too soon), or `undefined` when none is found. Engines word
 * their `JSON.parse` errors differently and V8 gives no position for an
 * unexpected token, so the position is found here when the message has
 * none.
 */
function jsonErrorOffset(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  const space = (): void => {
    while (i < n && " \t\n\r".includes(text[i]!)) i++;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && text[i]! >= "0" && text[i]! <= "9") i++;
    return i > start;
  };
  // Throws the offset of the error; returns after one value.
  const value = (depth: number): void => {
    // Deeper than any config: give up rather than risk the stack.
    if (depth > 1000) throw new RangeError("too deep to find the position");
    space();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          space();
          if (text[i] !== '"') throw i;
          string();
          space();
          if (text[i] !== ":") throw i;
          i++;
        }
        value(depth + 1);
        space();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return;
        } else throw i;
      }
    }
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      if (c === "-") i++;
      if (text[i] === "0") i++;
      else if (!digits()) throw i;
      if (text[i] === ".") {
        i++;
        if (!digits()) throw i;
      }
      if (text[i] === "e" || text[i] === "E") {
        i++;
        if (text[i] === "+" || text[i] === "-") i++;
        if (!digits()) throw i;
      }
      return;
    }
    for (const literal of ["true", "false", "null"]) {
      if (c === literal[0]) {
        for (const expected of literal) {
          if (text[i] !== expected) throw i;
          i++;
        }
        return;
      }
    }
    throw i;
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= n) throw i;
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) throw i;
      if (code === 0x5c) {
        i++;
        const escape = text[i];
        if (escape === "u") {
          for (let k = 1; k <= 4; k++) {
            if (!/^[0-9a-fA-F]$/.test(text[i + k] ?? "")) throw i + k;
          }
          i += 4;
        } else if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          throw i;
        }
      }
      i++;
    }
  };
  try {
    value(0);
    space();
    return i < n ? i : undefined;
  } catch (offset) {
    return typeof offset === "number" ? Math.min(offset, n) : undefined;
  }
}

function decodeJson(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = describeError(error);
    let line: number | undefined;
    let column: number | undefined;
    // V8: "... in JSON at position 8 (line 1 column 9)"; SpiderMonkey:
    // "... at line 1 column 9 of the JSON data"; V8 has none for an
    // unexpected token and JavaScriptCore none at all.
    const lineMatch = /\bline (\d+),? column (\d+)/.exec(message);
    const positionMatch = /\bat position (\d+)/.exec(message);
    if (lineMatch !== null) {
      line = Number(lineMatch[1]);
      column = Number(lineMatch[2]);
    } else if (positionMatch !== null) {
      [line, column] = lineColumn(text, Number(positionMatch[1]));
    } else {
      const offset = jsonErrorOffset(text) ??
        (/end of (JSON )?input/i.test(message) ? text.length : undefined);
      if (offset !== undefined) [line, column] = lineColumn(text, offset);
    }
    const reason = message
      // V8 quotes the text, or a part of it between "...":
      // `Unexpected token '}', "{"a": }" is not valid JSON`.
      .replace(/, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, "")
      .replace(/,? (in JSON )?at position \d+[\s\S]*$/, "")
      .replace(/ \(line \d+ column \d+\)$/, "")
      .replace(/ at line \d+ column \d+ of the JSON data$/, "")
      .replace(/^JSON\.parse: /, "")
      .split("\n")[0]!;
    return {
      ok: false,
      issues: [syntaxIssue(line, column, `invalid JSON: ${reason}`)],
      cause: error,
    };
  }
  const duplicates = duplicateKeys(text);
  return duplicates.length > 0
    ? { ok: false, issues: duplicates }
    : { ok: true, value };
}

function decodeYaml(text: string): Decoded {
  const document = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: true,
  });
  if (document.errors.length > 0) {
    return {
      ok: false,
      // After the first few, errors are mostly echoes of the first ones.
      issues: document.errors.slice(0, 3).map((error) => {
        const [line, column] = lineColumn(text, error.pos[0]);
        if (error.code === "DUPLICATE_KEY") {
          return syntaxIssue(
            line,
            column,
            `duplicate key ${
              JSON.stringify(keyAt(text, error.pos[0]))
            } (keys must be unique)`,
          );
        }
        const reason = error.message.split("\n")[0]!
          .replace(/ at line \d+, column \d+:?$/, "");
        return syntaxIssue(line, column, `invalid YAML: ${reason}`);
      }),
      cause: document.errors[0],
    };
  }
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: 1000 }) };
  } catch (error) {
    return {
      ok: false,
      issues: [syntaxIssue(
        undefined,
        undefined,
        `invalid YAML: ${error instanceof Error ? error.message : error}`,
      )],
      cause: error,
    };
  }
}

/**
 * Parses config text as YAML or JSON (sniffed when `format` is not given:
 * text starting with `{` is JSON). Duplicate keys are syntax errors.
 */
export function decodeConfigText(
  text: string,
  format: "yaml" | "json" | undefined,
): Decoded {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") {
    return {
      ok: false,
      issues: [{
        path: "",
        message: "expected a pipeline config, got an empty text",
        expected: "a pipeline config",
        received: "an empty text",
      }],
    };
  }
  const chosen = format ?? (/^\s*\{/.test(body) ? "json" : "yaml");
  return chosen === "json" ? decodeJson(body) : decodeYaml(body);
}
