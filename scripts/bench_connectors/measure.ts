/**
 * How a connector is timed: through `pipeline()`, as a user runs it. A
 * source feeds a cheap counting sink (the sink work of
 * `records.ts`) until it has counted every record; a sink is fed from an
 * array of records. Times run from the `pipeline()` call, so connecting is
 * included, as it is in every hand-written loop.
 *
 * @module
 */

import type { Message } from "../../src/messages/message.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import type {
  PipelineOptions,
  PipelineSource,
} from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import type { BatchSink } from "../../src/sinks/batch_sink.ts";
import { type BenchRecord, Tally } from "./records.ts";

/** A source's timed run: how long until the sink counted `records`. */
export interface SourceTiming {
  elapsedMs: number;
  tally: Tally;
  /** How many writes the sink got: the source's batches. */
  batches: number;
}

/**
 * Runs `source` into a counting sink until it counted `records` messages;
 * the clock stops at that write. Then stops the pipeline (untimed: a
 * stopped source gives back or acknowledges what it holds) and waits for it.
 * `recordOf` takes the benchmark record out of what the source gives (by
 * default a message's `value`).
 */
export async function pipeSource<R = Message<BenchRecord>>(
  source: PipelineSource<R>,
  records: number,
  options: PipelineOptions = {},
  recordOf: (item: R) => BenchRecord = (item) =>
    (item as Message<BenchRecord>).value,
): Promise<SourceTiming> {
  const tally = new Tally();
  let batches = 0;
  let reached!: () => void;
  const full = new Promise<void>((resolve) => reached = resolve);
  const sink = batchSink<R>({
    write(messages) {
      batches++;
      for (let i = 0; i < messages.length; i++) {
        tally.add(recordOf(messages[i]!));
      }
      if (tally.count >= records) reached();
    },
  });
  const start = performance.now();
  const running = pipeline(source, sink, options);
  const ended = Promise.resolve(running).then(() => {
    throw new Error(
      `Cannot time the source: the pipeline ended after ${tally.count} of ${records} records`,
    );
  });
  await Promise.race([full, ended]);
  const elapsedMs = performance.now() - start;
  ended.catch(() => {});
  await running.stop();
  return { elapsedMs, tally, batches };
}

/** Writes `records` through `sink` with `pipeline()`; returns the ms it took. */
export async function pipeSink(
  records: readonly BenchRecord[],
  sink: BatchSink<BenchRecord> | WritableStream<BenchRecord>,
  options: PipelineOptions = {},
  source: PipelineSource<BenchRecord> = records as BenchRecord[],
): Promise<number> {
  const start = performance.now();
  const summary = await pipeline(source, sink, options);
  const elapsedMs = performance.now() - start;
  if (summary.recordsWritten !== records.length) {
    throw new Error(
      `Cannot time the sink: it stored ${summary.recordsWritten} of ${records.length} records`,
    );
  }
  return elapsedMs;
}

/** A name no other run uses: `prefix` and a random suffix. */
export function unique(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Splits `records` into chunks of `size` (the hand-written loops' batches). */
export function chunks<T>(records: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < records.length; i += size) {
    out.push(records.slice(i, i + size));
  }
  return out;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns `undefined`: a stopped source lets go of
 * its connection after `stop()` resolved, sending its last acknowledgements
 * then. Throws what `check` last said after `timeoutMs`.
 */
export async function eventually(
  check: () => Promise<string | undefined>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const problem = await check();
    if (problem === undefined) return;
    if (performance.now() > deadline) {
      throw new Error(`${problem} ${timeoutMs / 1000} s after the run`);
    }
    await sleep(50);
  }
}
