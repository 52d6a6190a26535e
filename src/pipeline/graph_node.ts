// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import type { FusedRun } from "./fuse.ts";
import type { Divert } from "./processor_spec.ts";
import type { PipelineSource, SourceHandle } from "./source_stream.ts";

/**
 * The protocol between `pipeline()` and the nodes of a graph (`merge()`,
 * `fanOut()`, `route()`, `branch()`). A node carries the code that runs it,
 * so `pipeline()` names no graph module and a line pipeline bundles none.
 */

/**
 * Marks a node of a graph: a `merge()` (a {@linkcode GraphSource}, which
 * `pipeline()` opens itself) or a `fanOut()` or `route()` (a
 * {@linkcode GraphSink}, a batch sink that counts per sink).
 */
export const GRAPH: unique symbol = Symbol.for("@ca/streams/graph") as never;

/** Per-origin or per-sink counts, by name. */
export type GraphCounts = () => Record<string, unknown>;

/**
 * Marks a `branch()`: processors attached to a source (`source` set) or to
 * a sink (`sink` set). `pipeline()` takes one at its ends apart into a line.
 */
export const BRANCH_PARTS: unique symbol = Symbol.for(
  "@ca/streams/branch-parts",
) as never;

/** What a `branch()` is made of. */
export interface BranchParts {
  source?: PipelineSource<unknown>;
  processors: TransformStream<unknown, unknown>[];
  sink?: WritableStream<unknown>;
}

/** Gives a failing record of stage `index` to the dead letter, if there is one. */
export type DivertFor = (
  index: number,
  name: string | undefined,
  branch?: string,
) => Divert | undefined;

/**
 * How a graph source reaches the pipeline's checkpoint (the `Checkpointer`):
 * a merge reports each advance of its positions as `read(doneCount,
 * position)` then `stored(before, doneCount)`, and what it read with
 * `readCount`.
 */
export interface GraphCheckpoint {
  /** Resolves to the stored position (or the reset's), once. */
  start(): Promise<Position | undefined>;
  read(to: number, position: Position): void;
  stored(from: number, to: number): void;
  /** `total` records were read so far. */
  readCount(total: number): void;
  /** `undefined` to read now, else a promise to wait for first. */
  ready(): Promise<void> | undefined;
}

/** A graph source, opened: its handle, and where stored ranges go. */
export interface OpenedSource extends SourceHandle<unknown> {
  /**
   * Where the sink reports stored ranges, to map them to each origin;
   * without one (no checkpoint) nothing is tracked.
   */
  stored?: (from: number, to: number) => void;
}

/** What a sink node (a fan-out, a route) shows `pipeline()`. */
export interface GraphSink {
  /** Its live counts per sink, by branch path. */
  counts: GraphCounts;
  /**
   * Told before the first write: the pipeline's dead letter (when it has
   * one), which takes what fails on a branch without its own, and the
   * node's stage index.
   */
  attach(divertFor: DivertFor | undefined, index: number): void;
  /** The connection health of its sinks that report one, by branch path. */
  health(): Record<string, ConnectionHealth>;
}

/** What a source node does inside `pipeline()`. */
export interface GraphSource {
  /**
   * Opens it: `checkpoint` is present with a store, or when an origin
   * acknowledges.
   */
  open(
    checkpoint: GraphCheckpoint | undefined,
    divertFor: DivertFor | undefined,
    batchSize: number,
    lingerMs: number,
    head: FusedRun | undefined,
  ): OpenedSource;
  /** Its live counts per origin. */
  counts: GraphCounts;
  /** Why a checkpoint cannot resume it, when it cannot. */
  readonly resumeError: string | undefined;
  /**
   * The source's acknowledgement hook, as a resumable source has: with
   * one, positions are tracked even without a checkpoint store.
   */
  readonly ack: ((position: Position) => void | Promise<void>) | undefined;
  /** Hears of each dead-lettered record, as a resumable source can. */
  deadLettered?(record: unknown): void;
  /** The connection health of the origins that report one. */
  health?(): Record<string, ConnectionHealth>;
}
