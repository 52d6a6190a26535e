// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { type BatchSink, batchSink } from "../../sinks/batch_sink.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";

/**
 * The args of a `console-sink` ({@linkcode consoleSinkDefinition}).
 *
 * @example Create a console sink that prints JSON lines
 * ```ts
 * import { type BatchSink, pipeline } from "@ca/streams";
 * import { consoleSinkDefinition } from "@ca/streams/config";
 * import type { ConsoleSinkArgs } from "@ca/streams/config";
 *
 * const printed: string[] = [];
 * const definition = consoleSinkDefinition({ write: (text) => printed.push(text) });
 * const args: ConsoleSinkArgs = { format: "json" };
 * const sink = await definition.create(args, {
 *   name: "print",
 *   pipelineId: "demo",
 *   baseUrl: "file:///tmp/",
 *   signal: new AbortController().signal,
 * });
 * await pipeline([{ id: 1 }, { id: 2 }], sink as BatchSink<unknown>);
 * if (printed.join("\n") !== '{"id":1}\n{"id":2}') throw new Error(`unexpected ${printed}`);
 * ```
 */
export interface ConsoleSinkArgs {
  /**
   * `"json"` (default): one JSON text per line (JSON lines), for `jq` and
   * other programs. `"pretty"`: one readable line per record, such as
   * `{ id: 0, name: "widget", tags: [ "a", "b" ] }`.
   */
  format?: "json" | "pretty";
}

/**
 * Options of {@linkcode consoleSinkDefinition}.
 *
 * @example Send the lines to standard error instead
 * ```ts
 * import { builtinProcessors, consoleSinkDefinition, Registry } from "@ca/streams/config";
 * import type { ConsoleSinkOptions } from "@ca/streams/config";
 *
 * const options: ConsoleSinkOptions = { write: (text) => console.error(text) };
 * const registry = new Registry(
 *   builtinProcessors().filter((definition) => definition.name !== "console-sink"),
 * ).add(consoleSinkDefinition(options));
 * if (registry.processor("console-sink")?.kind !== "sink") throw new Error("unexpected");
 * ```
 */
export interface ConsoleSinkOptions {
  /**
   * Where the lines go: called once per batch with its lines joined by
   * `"\n"`, without a final newline, as `console.log` takes them (the
   * default, looked up when a sink is created).
   */
  write?: (text: string) => void;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A value on one readable line: keys bare where they can be, strings quoted. */
function pretty(value: unknown, seen: Set<unknown>): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "bigint") return `${value}n`;
    return String(value);
  }
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      if (value.length === 0) return "[]";
      return `[ ${value.map((item) => pretty(item, seen)).join(", ")} ]`;
    }
    if (value instanceof Date) return value.toISOString();
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    return `{ ${
      entries.map(([key, item]) =>
        `${IDENTIFIER.test(key) ? key : JSON.stringify(key)}: ${
          pretty(item, seen)
        }`
      ).join(", ")
    } }`;
  } finally {
    seen.delete(value);
  }
}

/**
 * The `console-sink` definition: a sink that prints every record on its own
 * line, as JSON lines (`format: json`, the default) or in a readable form
 * (`format: pretty`), through `console.log` or an injected writer. Web
 * standard, so it runs in any runtime; under `ca run` its lines reach
 * `ca`'s standard output from any Deno or Node runner. The registry of the
 * builtins has the one that uses `console.log`.
 *
 * @param options Where the lines go (default `console.log`).
 * @returns The definition, named `console-sink`.
 *
 * @example Print records into an array
 * ```ts
 * import { type BatchSink, pipeline } from "@ca/streams";
 * import { consoleSinkDefinition } from "@ca/streams/config";
 *
 * const lines: string[] = [];
 * const definition = consoleSinkDefinition({
 *   write: (text) => lines.push(...text.split("\n")),
 * });
 * const sink = await definition.create({ format: "pretty" }, {
 *   name: "print",
 *   pipelineId: "demo",
 *   baseUrl: "file:///tmp/",
 *   signal: new AbortController().signal,
 * });
 * await pipeline([{ id: 1, name: "a b" }], sink as BatchSink<unknown>);
 * if (lines[0] !== '{ id: 1, name: "a b" }') throw new Error(lines[0]);
 * ```
 */
export function consoleSinkDefinition(
  options: ConsoleSinkOptions = {},
): ProcessorDefinition<ConsoleSinkArgs> {
  return defineProcessor<ConsoleSinkArgs>({
    name: "console-sink",
    kind: "sink",
    delivery: "at-least-once",
    description:
      "Prints each record on a line: JSON lines, or format: pretty for a readable form.",
    args: z.strictObject({
      format: z.optional(z.enum(["json", "pretty"])),
    }),
    create({ format = "json" }): BatchSink<unknown> {
      const write = options.write ??
        ((text: string) => globalThis.console.log(text));
      const line = format === "pretty"
        ? (record: unknown) => pretty(record, new Set())
        : (record: unknown) => JSON.stringify(record) ?? String(record);
      return batchSink<unknown>({
        write(records) {
          if (records.length > 0) write(records.map(line).join("\n"));
        },
      });
    },
  });
}
