// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// Args schemas use zod/mini, as the config structure does: the builtins are
// part of the core that edge bundles include, where classic zod costs ~90 KB.
import * as z from "zod/mini";
import type { Position } from "../../checkpoint/position.ts";
import {
  type ResumableSource,
  resumableSource,
} from "../../sources/resumable_source.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";
import type { JsonValue } from "./json_value.ts";

/** The args of {@linkcode generateDefinition}. */
export interface GenerateArgs {
  /** How many records; a non-negative integer. */
  count: number;
  /** Fields spread over each record (they win over `id` and `value`). */
  template?: Record<string, JsonValue>;
}

/** One record of `generate`: `{ id, value, ...template }`. */
export type GeneratedRecord =
  & { id: number; value: number }
  & Record<
    string,
    JsonValue
  >;

/** Records per batch, and so per checkpoint position. */
const BATCH_SIZE = 1024;

function startAfter(after: Position | undefined): number {
  if (after === undefined) return 0;
  if (typeof after !== "number" || !Number.isInteger(after) || after < -1) {
    throw new TypeError(
      `Cannot resume generate: expected a position that is a record index, got ${
        JSON.stringify(after)
      }`,
    );
  }
  return after + 1;
}

/**
 * `generate`: a source of `count` records `{ id, value, ...template }`,
 * with `id` and `value` both the record's index from 0. It is resumable: the
 * position is the last index read, so a pipeline with a checkpoint resumes
 * after it.
 *
 * @example Generate three records
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const generate = builtinProcessors().find((d) => d.name === "generate")!;
 * const source = await generate.create(
 *   { count: 3, template: { kind: "test" } },
 *   {
 *     name: "numbers",
 *     pipelineId: "demo",
 *     baseUrl: "file:///tmp/",
 *     signal: new AbortController().signal,
 *   },
 * ) as AsyncIterable<{ id: number }>;
 * const records = await Array.fromAsync(source);
 * if (records.map((r) => r.id).join() !== "0,1,2") throw new Error("ids");
 * ```
 */
export const generateDefinition: ProcessorDefinition<GenerateArgs> =
  defineProcessor<GenerateArgs>({
    name: "generate",
    kind: "source",
    description:
      "Generates count records { id, value, ...template }; resumes after a checkpoint.",
    args: z.strictObject({
      count: z.int().check(z.minimum(0)),
      template: z.optional(z.record(z.string(), z.json())),
    }),
    create(args, context): ResumableSource<GeneratedRecord> {
      const { count, template = {} } = args;
      const nested = Object.values(template).some((value) =>
        value !== null && typeof value === "object"
      );
      return resumableSource<GeneratedRecord>({
        name: `generate ${context.name}`,
        async *open(after, { signal }) {
          let id = startAfter(after);
          while (id < count) {
            if (signal.aborted || context.signal.aborted) return;
            const end = Math.min(count, id + BATCH_SIZE);
            const records: GeneratedRecord[] = [];
            for (; id < end; id++) {
              records.push({
                id,
                value: id,
                ...(nested ? structuredClone(template) : template),
              });
            }
            yield { records, position: end - 1 };
          }
        },
      });
    },
  });
