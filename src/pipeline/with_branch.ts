// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { StageError } from "../errors/stage_error.ts";
import { toStageError } from "./to_stage_error.ts";

/**
 * The error of a stage on a graph's branch, naming the branch in `branch`
 * and in its message: an error from a branch nested deeper gets this
 * branch's name in front of its own (`"paid/nats"`).
 */
export function withBranch(
  error: unknown,
  index: number,
  name: string | undefined,
  branch: string,
): StageError {
  const staged = toStageError(error, index, name);
  const path = staged.branch === undefined
    ? branch
    : `${branch}/${staged.branch}`;
  return new StageError(staged.stageIndex, staged.stageName, staged.cause, {
    recordIndex: staged.recordIndex,
    attempts: staged.attempts,
    branch: path,
  });
}
