// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";
import type { OriginCounts } from "./origin_counts.ts";
import type { Divert } from "./processor_spec.ts";
import type { PipelineSource, SourceHandle } from "./source_stream.ts";

/**
 * The protocol between `pipeline()` and the nodes of a graph (`merge()`,
 * `fanOut()`, `route()`, `branch()`). A node carries the code that runs it,
 * so `pipeline()` names no graph module and a line pipeline bundles none.
 */

/** Marks a source that `pipeline()` opens through {@linkcode GraphSource}. */
export const GRAPH_SOURCE: unique symbol = Symbol.for(
  "@ca/streams/graph-source",
) as never;

/**
 * Marks a sink that counts per sink (a `fanOut()`, a `route()`): a
 * function that returns its counts for `summary.sinks`.
 */
export const GRAPH_COUNTS: unique symbol = Symbol.for(
  "@ca/streams/graph-counts",
) as never;

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

/** How a graph source reaches the pipeline's checkpoint. */
export interface GraphCheckpoint {
  /** Resolves to the stored position (or the reset's), once. */
  start(): Promise<Position | undefined>;
  /** `total` records were read so far. */
  readCount(total: number): void;
  /** `position` is done, with `doneCount` records in all. */
  advance(
    position: Position,
    doneCount: number,
    ack?: () => void | Promise<void>,
  ): void;
  /** `undefined` to read now, else a promise to wait for first. */
  ready(): Promise<void> | undefined;
}

/** What `pipeline()` gives a graph source to open it. */
export interface SourceContext {
  batchSize: number;
  lingerMs: number;
  /** Present with a checkpoint store, or when an origin acknowledges. */
  checkpoint?: GraphCheckpoint;
  divertFor?: DivertFor;
}

/** A graph source, opened. */
export interface OpenedSource {
  handle: SourceHandle<unknown>;
  /**
   * Where the sink reports stored ranges; without it they go to the
   * pipeline's checkpoint as for a line.
   */
  stored?(from: number, to: number): void;
  /** Live counts per origin. */
  origins(): Record<string, OriginCounts>;
}

/** What a source node does inside `pipeline()`. */
export interface GraphSource {
  open(context: SourceContext): OpenedSource;
  /** Why a checkpoint cannot resume it, when it cannot. */
  readonly resumeError: string | undefined;
  /**
   * The source's acknowledgement hook, as a resumable source has: with
   * one, positions are tracked even without a checkpoint store.
   */
  readonly ack: ((position: Position) => void | Promise<void>) | undefined;
}
