// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import {
  defineProcessor,
  type ProcessorDefinition,
} from "../../src/config/define_processor.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import { fileSink } from "./file_sink.ts";
import { fileSource } from "./file_source.ts";

const format = z.optional(z.enum(["ndjson", "lines"]));
const path = z.string().check(z.minLength(1));

/**
 * The file connector's processors for pipeline configs: `file-source`
 * (a resumable NDJSON or lines file) and `file-sink` (appends, repairs a
 * torn last line). Relative paths are relative to the config file.
 *
 * @returns The two definitions.
 *
 * @example List them
 * ```ts
 * import { fileProcessors } from "./file_processors.ts";
 *
 * const names = fileProcessors().map((definition) => definition.name);
 * if (names.join() !== "file-source,file-sink") throw new Error("unexpected");
 * ```
 */
export function fileProcessors(): ProcessorDefinition[] {
  return [
    defineProcessor({
      name: "file-source",
      kind: "source",
      delivery: "at-least-once",
      description:
        "Reads records from a file, one JSON value (ndjson) or one string (lines) per line; resumes after the last checkpoint by byte offset.",
      args: z.strictObject({ path, format }),
      create: (args, context) =>
        fileSource(toFilePath(args.path, context.baseUrl), {
          format: args.format,
          signal: context.signal,
        }),
    }) as ProcessorDefinition,
    defineProcessor({
      name: "file-sink",
      kind: "sink",
      delivery: "at-least-once",
      description:
        "Appends records to a file, one JSON value (ndjson) or one string (lines) per line; a torn last line is cut off on open.",
      args: z.strictObject({
        path,
        format,
        sync: z.optional(z.boolean()),
      }),
      create: (args, context) =>
        fileSink(toFilePath(args.path, context.baseUrl), {
          format: args.format,
          sync: args.sync,
          signal: context.signal,
        }),
    }) as ProcessorDefinition,
  ];
}
