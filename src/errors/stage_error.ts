// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "./describe_error.ts";

/**
 * The reason a pipeline failed: which stage failed, on which record, and the
 * original error as `cause`.
 *
 * `stageIndex` is 0 for the first processor and `processors.length` for the
 * sink; a failing source has index -1 and the name `"source"`. `stageName`
 * is the user function's or class's name where it has one (for example
 * `"parse"` for `map(parse)`), else the processor's kind (`"map"`). In a
 * graph (`merge()`, `fanOut()`, `route()`), `branch` names the origin or
 * sink the stage belongs to, the index counts within that branch, and the
 * message says `stage 0 (map) of branch "paid"`.
 *
 * @example Tell which stage failed
 * ```ts
 * import { map, pipeline, StageError } from "@ca/streams";
 *
 * function parse(line: string): unknown {
 *   return JSON.parse(line);
 * }
 * const sink = new WritableStream<unknown>();
 * try {
 *   await pipeline(['{"a":1}', "oops"], map(parse), sink);
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof StageError)) throw error;
 *   if (error.stageName !== "parse" || error.recordIndex !== 1) throw error;
 * }
 * ```
 */
export class StageError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_STAGE" = "CA_ERR_STAGE";
  /** 0 for the first processor, `processors.length` for the sink, -1 for the source. */
  readonly stageIndex: number;
  /** The function's or class's name, else the processor's kind. */
  readonly stageName: string | undefined;
  /** Index of the failing record in that stage's input, when known. */
  readonly recordIndex: number | undefined;
  /** How many times the record was tried, when a retry policy ran. */
  readonly attempts: number | undefined;
  /**
   * The branch of a graph the stage is on, as the names from the outside
   * in, joined by `/` (`"paid/nats"`); `undefined` on the main line.
   */
  declare readonly branch: string | undefined;

  /**
   * Creates a stage error.
   *
   * @param stageIndex Index of the failing stage.
   * @param stageName Name of the failing stage, if it has one.
   * @param cause The original error.
   * @param options `recordIndex`: the failing record's index, and
   * `attempts`: how often it was tried, when known, and `branch`: the
   * branch of a graph the stage is on.
   */
  constructor(
    stageIndex: number,
    stageName: string | undefined,
    cause: unknown,
    options: { recordIndex?: number; attempts?: number; branch?: string } = {},
  ) {
    const where =
      (stageName === undefined
        ? `stage ${stageIndex}`
        : `stage ${stageIndex} (${stageName})`) +
      (options.branch === undefined ? "" : ` of branch "${options.branch}"`);
    const record =
      (options.recordIndex === undefined
        ? ""
        : ` at record ${options.recordIndex}`) +
      (options.attempts === undefined || options.attempts < 2
        ? ""
        : ` after ${options.attempts} attempts`);
    super(
      `Cannot run pipeline: ${where} failed${record}: ${describeError(cause)}`,
      {
        cause,
      },
    );
    this.name = "StageError";
    this.stageIndex = stageIndex;
    this.stageName = stageName;
    this.recordIndex = options.recordIndex;
    this.attempts = options.attempts;
    if (options.branch !== undefined) this.branch = options.branch;
  }
}
