// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { parseDocument } from "yaml";
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

function decodeJson(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let line: number | undefined;
    let column: number | undefined;
    const lineMatch = /\(line (\d+) column (\d+)\)/.exec(message);
    const positionMatch = /at position (\d+)/.exec(message);
    if (lineMatch !== null) {
      line = Number(lineMatch[1]);
      column = Number(lineMatch[2]);
    } else if (positionMatch !== null) {
      [line, column] = lineColumn(text, Number(positionMatch[1]));
    } else if (/end of (JSON )?input/i.test(message)) {
      [line, column] = lineColumn(text, text.length);
    }
    const reason = message.replace(/,? (in JSON )?at position \d+.*$/s, "")
      .replace(/ \(line \d+ column \d+\)$/, "");
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
