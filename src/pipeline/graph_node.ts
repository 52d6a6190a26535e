// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";
import type { OriginCounts } from "./origin_counts.ts";
import type { Divert } from "./processor_spec.ts";
import type { SinkCounts } from "./sink_counts.ts";
import type { SinkHandle } from "./sink_stream.ts";
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

/** Marks a sink that `pipeline()` opens through {@linkcode GraphSink}. */
export const GRAPH_SINK: unique symbol = Symbol.for(
  "@ca/streams/graph-sink",
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
  /** The name of an origin that cannot resume, if one cannot. */
  readonly notResumable: string | undefined;
  /** Whether an origin acknowledges: positions are then tracked without a store. */
  readonly acknowledges: boolean;
}

/** What `pipeline()` gives a sink node to open it. */
export interface SinkContext {
  /** The sink's stage index in its line. */
  index: number;
  batchSize: number;
  lingerMs: number;
  /** Records `[from, to)` are done. */
  onStored?: (from: number, to: number) => void;
  divertFor?: DivertFor;
  /** Aborted when the pipeline is. */
  signal: AbortSignal;
  /** The branch this sink is on, when not the main line. */
  branch?: string;
}

/** A sink, opened: the stream of batches and its counts. */
export interface OpenedSink extends SinkHandle<unknown> {
  /** Live counts per sink of a graph, keyed by branch path. */
  sinks?(): Record<string, SinkCounts>;
}

/** What a sink node does inside `pipeline()`. */
export interface GraphSink {
  open(context: SinkContext): OpenedSink;
}
