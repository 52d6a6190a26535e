// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { DoneRanges } from "../checkpoint/done_ranges.ts";
import type { Position } from "../checkpoint/position.ts";
import { assemble } from "../pipeline/assemble.ts";
import type { FusedRun } from "../pipeline/fuse.ts";
import type {
  DivertFor,
  GraphCheckpoint,
  OpenedSource,
} from "../pipeline/graph_node.ts";
import type { OriginCounts } from "../pipeline/origin_counts.ts";
import type { RecordBatch } from "../pipeline/record_batch.ts";
import type {
  PipelineSource,
  Resumption,
  SourceHandle,
} from "../pipeline/source_stream.ts";
import { RESUMABLE_SOURCE } from "../sources/resumable_source.ts";
import type { ResumableSource } from "../sources/resumable_source.ts";
import { describeValue } from "../util/describe_value.ts";
import { withBranch } from "../pipeline/with_branch.ts";

/** A merge, opened: its acknowledgements, and its counts per origin. */
export interface OpenedMerge extends OpenedSource {
  /** Runs the origins' acknowledgements of the next advance, in order. */
  ack(): Promise<void>;
  origins(): Record<string, OriginCounts>;
}

/** One named origin of a merge, with its processors. */
export interface Origin {
  name: string;
  source: PipelineSource<unknown>;
  processors: TransformStream<unknown, unknown>[];
}

interface Running {
  origin: Origin;
  handle: SourceHandle<unknown>;
  reader: ReadableStreamDefaultReader<RecordBatch<unknown>>;
  /** The read in flight, and its result once it settled. */
  reading: Promise<void> | undefined;
  result: ReadableStreamReadResult<RecordBatch<unknown>> | undefined;
  ended: boolean;
  /** Positions of batches read, by the origin's own record numbers. */
  pending: Array<{ to: number; position: Position }>;
  done: DoneRanges;
  readTo: number;
  doneTo: number;
  ack: ((position: Position) => void | Promise<void>) | undefined;
}

/** Where a batch of one origin landed in the merged numbering. */
interface Segment {
  from: number;
  to: number;
  origin: Running;
  /** The origin's own number of the record at `from`. */
  local: number;
}

/**
 * Runs a merge inside `pipeline()`. Each origin, with its processors, is
 * a line of its own with its own record numbers; batches are taken from
 * the origins in turn as they are ready, so no origin starves another, and
 * renumbered into one sequence. Ranges the sink reports done are mapped
 * back to each origin, whose position advances over its own contiguous
 * done records: the merged position is `{ [origin]: position }`.
 */
export function openMerge(
  origins: Origin[],
  originField: string | undefined,
  checkpoint: GraphCheckpoint | undefined,
  divertFor: DivertFor | undefined,
  batchSize: number,
  lingerMs: number,
  head: FusedRun | undefined,
): OpenedMerge {
  let started: Promise<Record<string, Position> | undefined> | undefined;
  /** The merged position: every origin's done one, and any stored before. */
  let positions: Record<string, Position> = {};
  const start = () =>
    started ??= checkpoint!.start().then((stored) => {
      if (
        stored !== undefined &&
        (stored === null || typeof stored !== "object" || Array.isArray(stored))
      ) {
        throw new TypeError(
          `Cannot resume merge(): the stored position must be an object with a position per origin, got ${
            describeValue(stored)
          }; it was stored by another source: reset the checkpoint (reset: "start")`,
        );
      }
      positions = { ...stored };
      return stored;
    });
  const running: Running[] = origins.map(openOrigin);
  let live = running.slice();
  let turn = 0;
  let next = 0;
  const segments: Segment[] = [];
  const merged = new DoneRanges();
  /** What the checkpoint was told is done, and the acknowledgements due. */
  let reported = 0;
  const acked: Array<Array<() => void | Promise<void>>> = [];
  let controller!: ReadableStreamDefaultController<RecordBatch<unknown>>;
  let closed = false;

  function openOrigin(origin: Origin): Running {
    const r = {
      origin,
      reading: undefined,
      result: undefined,
      ended: false,
      pending: [],
      done: new DoneRanges(),
      readTo: 0,
      doneTo: 0,
      ack: (origin.source as Partial<ResumableSource<unknown>>)[
        RESUMABLE_SOURCE
      ]?.ack,
    } as unknown as Running;
    const resumption: Resumption | undefined = checkpoint && {
      start: () => start().then((stored) => stored?.[origin.name]),
      read(to, position) {
        r.pending.push({ to, position });
        r.readTo = to;
        let total = 0;
        for (const o of running) total += o.readTo;
        checkpoint.readCount(total);
      },
      ready: () => checkpoint.ready(),
    };
    const assembled = assemble(
      { source: origin.source, resumption },
      origin.processors,
      batchSize,
      lingerMs,
      divertFor && ((index, name) => divertFor(index, name, origin.name)),
    );
    r.handle = assembled.source!;
    r.reader = assembled.stream.getReader();
    return r;
  }

  function readAhead(r: Running): void {
    if (r.reading) return;
    r.reading = r.reader.read().then((result) => {
      r.result = result;
    }, (error) => {
      throw withBranch(error, -1, "source", r.origin.name);
    });
    // Reported through pull(); a read left over after a failure is not news.
    r.reading.catch(() => {});
  }

  /** The next ready origin in turn, or `undefined` when none is ready. */
  function nextReady(): Running | undefined {
    for (let k = 0; k < live.length; k++) {
      const r = live[(turn + k) % live.length]!;
      if (r.result !== undefined) {
        turn = (turn + k + 1) % live.length;
        return r;
      }
    }
  }

  async function pull(): Promise<void> {
    while (!closed) {
      const ready = nextReady();
      if (ready === undefined) {
        if (live.length === 0) return end();
        for (const r of live) readAhead(r);
        await Promise.race(live.map((r) => r.reading));
        continue;
      }
      const result = ready.result!;
      ready.result = undefined;
      ready.reading = undefined;
      if (result.done) {
        live = live.filter((r) => r !== ready);
        turn = 0;
        continue;
      }
      readAhead(ready);
      return emit(ready, result.value);
    }
  }

  /**
   * Renumbers an origin's batch into the merged sequence and runs the
   * pipeline's leading fused processors on it, as a line's source does.
   */
  async function emit(r: Running, batch: RecordBatch<unknown>): Promise<void> {
    const span = batch.to - batch.from;
    const from = next;
    const to = next += span;
    if (span > 0 && checkpoint) {
      segments.push({ from, to, origin: r, local: batch.from });
    }
    let records = batch.records;
    if (originField !== undefined) records = tag(records, r.origin.name);
    if (head) {
      const out = head.apply(records);
      records = out instanceof Promise ? await out : out;
    }
    if (closed) return;
    controller.enqueue({ records, from, to });
    // A take() has what it wants: end the input like sources that ran dry.
    if (head?.done) {
      closed = true;
      controller.close();
      for (const o of running) o.handle.stop(undefined);
    }
  }

  /** Every origin ran dry: what the fused processors hold goes last. */
  async function end(): Promise<void> {
    closed = true;
    const held = head ? await head.flush() : [];
    if (held.length > 0) {
      controller.enqueue({ records: held, from: next, to: next });
    }
    controller.close();
  }

  function tag(records: unknown[], name: string): unknown[] {
    return records.map((record) => {
      if (
        record === null || typeof record !== "object" || Array.isArray(record)
      ) {
        throw withBranch(
          new TypeError(
            `Cannot tag a record with its origin: originField "${originField}" needs object records, got ${
              describeValue(record)
            }`,
          ),
          -1,
          "merge",
          name,
        );
      }
      return { ...record, [originField!]: name };
    });
  }

  /** Maps merged ranges back to each origin's own, and advances positions. */
  function stored(from: number, to: number): void {
    let lo = 0;
    let hi = segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (segments[mid]!.to <= from) lo = mid + 1;
      else hi = mid;
    }
    const touched = new Set<Running>();
    for (let s = lo; s < segments.length && segments[s]!.from < to; s++) {
      const segment = segments[s]!;
      const start = Math.max(from, segment.from) - segment.from;
      const end = Math.min(to, segment.to) - segment.from;
      segment.origin.done.add(segment.local + start, segment.local + end);
      touched.add(segment.origin);
    }
    const watermark = merged.add(from, to);
    let drop = 0;
    while (drop < segments.length && segments[drop]!.to <= watermark) drop++;
    if (drop > 0) segments.splice(0, drop);
    if (!checkpoint) return;
    const acks: Array<() => void | Promise<void>> = [];
    let advanced = false;
    for (const r of touched) {
      const watermark = r.done.watermark;
      while (r.pending.length > 0 && r.pending[0]!.to <= watermark) {
        const { to, position } = r.pending.shift()!;
        positions[r.origin.name] = position;
        r.doneTo = to;
        advanced = true;
        const ack = r.ack;
        if (ack) acks.push(() => ack(position));
      }
    }
    if (!advanced) return;
    let doneCount = 0;
    let readCount = 0;
    for (const r of running) {
      doneCount += r.doneTo;
      readCount += r.readTo;
    }
    // To the checkpoint, each advance is one batch read and done at once,
    // numbered by records done; its acknowledgement runs the origins' own.
    acked.push(acks);
    checkpoint.read(doneCount, { ...positions });
    checkpoint.readCount(readCount);
    checkpoint.stored(reported, doneCount);
    reported = doneCount;
  }

  const readable = new ReadableStream<RecordBatch<unknown>>({
    start(c) {
      controller = c;
    },
    pull,
    cancel(reason) {
      closed = true;
      for (const r of running) {
        r.reader.cancel(reason).catch(() => {});
        r.handle.stop(reason ?? new Error("merge cancelled"));
      }
    },
  }, { highWaterMark: 0 });

  return {
    readable,
    get count() {
      let count = 0;
      for (const r of running) count += r.handle.count;
      return count;
    },
    stop(reason) {
      for (const r of running) r.handle.stop(reason);
    },
    ended: Promise.all(running.map((r) => r.handle.ended)).then(() => {}),
    // Without a checkpoint nothing is tracked: the sink reports nowhere.
    stored: checkpoint && stored,
    async ack() {
      for (const ack of acked.shift() ?? []) await ack();
    },
    origins() {
      const counts: Record<string, OriginCounts> = {};
      for (const r of running) {
        const count: OriginCounts = { recordsRead: r.handle.count };
        const position = positions[r.origin.name];
        if (checkpoint && position !== undefined) count.position = position;
        counts[r.origin.name] = count;
      }
      return counts;
    },
  };
}
