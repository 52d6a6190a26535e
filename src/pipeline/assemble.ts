// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { BATCH_SINK } from "../sinks/batch_sink.ts";
import { fuse } from "./fuse.ts";
import type { FusedRun, PlacedSpec } from "./fuse.ts";
import { fusedStage } from "./fused_stage.ts";
import { specOf } from "./processor_spec.ts";
import type { Divert } from "./processor_spec.ts";
import type { RecordBatch } from "./record_batch.ts";
import { sourceStream } from "./source_stream.ts";
import type {
  PipelineSource,
  Resumption,
  SourceHandle,
} from "./source_stream.ts";
import { userTransformStage } from "./user_transform_stage.ts";
import type { UserStage } from "./user_transform_stage.ts";

/** The source and every processor, wired as one stream of batches. */
export interface Assembled {
  /** The source's handle, when the input was a source. */
  source: SourceHandle<unknown> | undefined;
  stream: ReadableStream<RecordBatch<unknown>>;
}

/** What processors are wired after: a source to open, or batches already. */
export type AssemblyInput =
  | { source: PipelineSource<unknown>; resumption?: Resumption }
  | { batches: ReadableStream<RecordBatch<unknown>> }
  | {
    /** Opens a source (a merge) that runs the leading fused processors itself. */
    open(head: FusedRun | undefined): SourceHandle<unknown>;
  };

/**
 * Wires the source and processors: the leading run of fusable processors
 * executes inside the source's pull, every later run becomes one
 * `TransformStream`, every run of consecutive users' own transforms is
 * chained record by record between one unbatching and one rebatching, and
 * library stages with timers or concurrency get a boundary each. After a
 * stream of batches (a merge, a branch of a fan-out) the leading run is a
 * `TransformStream` too.
 */
export function assemble(
  input: AssemblyInput,
  processors: readonly TransformStream<unknown, unknown>[],
  batchSize: number,
  lingerMs: number,
  divertFor?: (index: number, name: string | undefined) => Divert | undefined,
): Assembled {
  let handle: SourceHandle<unknown> | undefined;
  let stream: ReadableStream<RecordBatch<unknown>> | undefined =
    "batches" in input ? input.batches : undefined;
  let placed: PlacedSpec[] = [];
  let users: UserStage[] = [];
  const closeUsers = () => {
    if (users.length === 0) return;
    stream = userTransformStage(stream!, users, batchSize, lingerMs);
    users = [];
  };
  const closeFusion = () => {
    closeUsers();
    if (stream === undefined) {
      const head = placed.length > 0 ? fuse(placed, divertFor) : undefined;
      const { source, resumption } = input as {
        source: PipelineSource<unknown>;
        resumption?: Resumption;
      };
      handle = "open" in input ? input.open(head) : sourceStream(
        source,
        batchSize,
        lingerMs,
        head,
        resumption,
        divertFor?.(-1, "source"),
      );
      stream = handle.readable;
    } else if (placed.length > 0) {
      stream = stream.pipeThrough(fusedStage(fuse(placed, divertFor)));
    }
    placed = [];
  };
  processors.forEach((processor, index) => {
    const spec = specOf(processor);
    if (spec?.kind === "step" || spec?.kind === "op") {
      closeUsers();
      placed.push({ spec, index } as PlacedSpec);
      return;
    }
    if (!spec) {
      if (placed.length > 0 || stream === undefined) closeFusion();
      users.push({
        transform: processor,
        index,
        name: nameOf(processor, TransformStream),
      });
      return;
    }
    closeFusion();
    stream = stream!.pipeThrough(
      spec.run(
        spec.create({ divert: divertFor?.(index, spec.name) }),
        index,
        spec.name,
      ),
    );
  });
  closeFusion();
  return { source: handle, stream: stream! };
}

/** The user's class name for a stream, or the name of a batch sink's class. */
export function nameOf(
  stream: object,
  base: typeof TransformStream | typeof WritableStream,
): string | undefined {
  const underlying = (stream as { [BATCH_SINK]?: object })[BATCH_SINK];
  const owner = underlying ?? stream;
  const ctor = Object.getPrototypeOf(owner)?.constructor;
  if (typeof ctor !== "function" || ctor === base || ctor === Object) {
    return undefined;
  }
  return ctor.name || undefined;
}
