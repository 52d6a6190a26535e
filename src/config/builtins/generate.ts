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
  /**
   * Records per second, when given (a positive number, `0.5` is one record
   * every 2 s): the records are paced with timers, so a demo runs for a
   * while. Without it, as fast as the pipeline takes them.
   */
  ratePerSecond?: number;
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
/** With a rate, the longest a record waits for its batch to fill, in ms. */
const PACED_BATCH_MS = 100;

/**
 * Resolves after `ms`, or at once when a signal aborts (then the caller
 * sees the signal aborted and returns). A timer, never busy waiting.
 */
function sleep(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const signal of signals) {
      signal.addEventListener("abort", done, { once: true });
    }
  });
}

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
 * after it. With `ratePerSecond` it emits that many records per second
 * (paced by timers, in batches of at most 100 ms of records), and stops
 * waiting as soon as the pipeline stops or aborts.
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
    delivery: "at-least-once",
    description:
      "Generates count records { id, value, ...template }, optionally ratePerSecond of them per second; resumes after a checkpoint.",
    args: z.strictObject({
      count: z.int().check(z.minimum(0)),
      template: z.optional(z.record(z.string(), z.json())),
      ratePerSecond: z.optional(z.number().check(z.positive())),
    }),
    create(args, context): ResumableSource<GeneratedRecord> {
      const { count, template = {}, ratePerSecond } = args;
      const nested = Object.values(template).some((value) =>
        value !== null && typeof value === "object"
      );
      return resumableSource<GeneratedRecord>({
        name: `generate ${context.name}`,
        async *open(after, { signal }) {
          let id = startAfter(after);
          const signals = [signal, context.signal];
          const started = performance.now();
          let emitted = 0;
          while (id < count) {
            if (signal.aborted || context.signal.aborted) return;
            let size = BATCH_SIZE;
            if (ratePerSecond !== undefined) {
              // Record k (from 0) of this run is due at k / rate seconds.
              const elapsed = performance.now() - started;
              const due = Math.floor(elapsed * ratePerSecond / 1000) + 1;
              if (due <= emitted) {
                await sleep(emitted * 1000 / ratePerSecond - elapsed, signals);
                continue;
              }
              const perBatch = Math.max(
                1,
                Math.floor(ratePerSecond * PACED_BATCH_MS / 1000),
              );
              size = Math.min(BATCH_SIZE, perBatch, due - emitted);
            }
            const end = Math.min(count, id + size);
            const records: GeneratedRecord[] = [];
            for (; id < end; id++) {
              records.push({
                id,
                value: id,
                ...(nested ? structuredClone(template) : template),
              });
            }
            emitted += records.length;
            yield { records, position: end - 1 };
          }
        },
      });
    },
  });
