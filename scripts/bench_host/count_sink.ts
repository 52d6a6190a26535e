/**
 * `bench/count`: the host benchmark's sink. It stores nothing; it counts
 * the records of each connector (by pipeline id) per batch, so that the
 * unpaced connector's run is timed to its last record and what the host
 * costs is not hidden behind a file's writes. A batch sink, as the
 * registered sinks are, so the metrics time its writes as theirs.
 *
 * @module
 */

import * as z from "zod/mini";
import {
  defineProcessor,
  type ProcessorDefinition,
} from "../../src/config/define_processor.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";

/** The count of one connector: records, and when the first and `target`th arrived. */
export interface Count {
  records: number;
  batches: number;
  /** `performance.now()` at the first batch. */
  firstAt: number | undefined;
  /** Resolves at the batch that reaches `target`, with its time. */
  reached: Promise<number>;
  target: number;
}

/** The counts of every connector that wrote to `bench/count`, by id. */
export class Counts {
  #counts = new Map<string, Count & { resolve(at: number): void }>();

  /** Expects `target` records for connector `id`: its count starts at 0. */
  expect(id: string, target: number): Count {
    let resolve!: (at: number) => void;
    const reached = new Promise<number>((r) => resolve = r);
    const count = {
      records: 0,
      batches: 0,
      firstAt: undefined,
      reached,
      target,
      resolve,
    };
    this.#counts.set(id, count);
    return count;
  }

  /** Counts a batch of connector `id`. */
  add(id: string, records: number): void {
    const count = this.#counts.get(id);
    if (count === undefined) {
      throw new Error(`Cannot count: no connector "${id}" was expected`);
    }
    const now = performance.now();
    count.firstAt ??= now;
    count.batches++;
    const before = count.records;
    count.records += records;
    if (before < count.target && count.records >= count.target) {
      count.resolve(now);
    }
  }

  /** Forgets connector `id`. */
  delete(id: string): void {
    this.#counts.delete(id);
  }
}

/** The `bench/count` sink definition, counting into `counts`. */
export function countSink(counts: Counts): ProcessorDefinition<unknown> {
  return defineProcessor({
    name: "bench/count",
    kind: "sink",
    delivery: "at-least-once",
    description: "Counts records per connector; stores nothing.",
    args: z.strictObject({}),
    create: (_args, context) =>
      batchSink<unknown>({
        write(records) {
          counts.add(context.pipelineId, records.length);
        },
      }),
  });
}
