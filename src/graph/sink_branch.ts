// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DeadLetter } from "../failures/dead_letter.ts";
import { BRANCH_PARTS } from "../pipeline/graph_node.ts";
import type { BranchParts } from "../pipeline/graph_node.ts";
import { describeValue } from "../util/describe_value.ts";

/** One named sink of a fan-out or route, with its processors and options. */
export interface SinkBranch {
  name: string;
  processors: TransformStream<unknown, unknown>[];
  sink: WritableStream<unknown>;
  /** The `branch()` or sink as given, for the stream used alone. */
  given: WritableStream<unknown>;
  bestEffort: boolean;
  deadLetter: WritableStream<DeadLetter> | undefined;
}

/** What `fanOut()` and `route()` take besides their sinks. */
export interface SinkBranchOptions {
  bestEffort?: readonly string[];
  bestEffortQueueRecords?: number;
  deadLetters?: Record<string, WritableStream<DeadLetter>>;
  signal?: AbortSignal;
}

/** The default bound of a best-effort sink's queue, in records. */
export const BEST_EFFORT_QUEUE_RECORDS = 10_000;

/**
 * Checks the sinks and options of `fanOut()` or `route()` (`what` names
 * the call in errors) and takes each `branch()` apart.
 */
export function sinkBranches(
  what: string,
  sinks: unknown,
  options: SinkBranchOptions | undefined,
): SinkBranch[] {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(
      `Cannot create ${what}: ${field} must be ${expected}, got ${
        describeValue(got)
      }`,
    );
  };
  if (sinks === null || typeof sinks !== "object" || Array.isArray(sinks)) {
    fail("sinks", "an object of named WritableStreams", sinks);
  }
  const entries = Object.entries(sinks as Record<string, unknown>);
  if (entries.length === 0) {
    fail("sinks", "an object with at least one named sink", sinks);
  }
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    fail("options", "an object", options);
  }
  const { bestEffort = [], deadLetters = {}, bestEffortQueueRecords } =
    options ?? {};
  if (!Array.isArray(bestEffort)) {
    fail("options.bestEffort", "an array of sink names", bestEffort);
  }
  for (const name of bestEffort) {
    if (!(typeof name === "string" && Object.hasOwn(sinks as object, name))) {
      throw new TypeError(
        `Cannot create ${what}: options.bestEffort names ${
          typeof name === "string" ? `"${name}"` : describeValue(name)
        }, expected one of ${names(entries)}`,
      );
    }
  }
  if (
    bestEffortQueueRecords !== undefined &&
    !(Number.isInteger(bestEffortQueueRecords) && bestEffortQueueRecords > 0)
  ) {
    throw new RangeError(
      `Cannot create ${what}: options.bestEffortQueueRecords must be a positive integer, got ${bestEffortQueueRecords}`,
    );
  }
  if (deadLetters === null || typeof deadLetters !== "object") {
    fail(
      "options.deadLetters",
      "an object of WritableStreams by sink name",
      deadLetters,
    );
  }
  for (const [name, stream] of Object.entries(deadLetters)) {
    if (!Object.hasOwn(sinks as object, name)) {
      throw new TypeError(
        `Cannot create ${what}: options.deadLetters names "${name}", expected one of ${
          names(entries)
        }`,
      );
    }
    if (!(stream instanceof WritableStream)) {
      fail(`options.deadLetters.${name}`, "a WritableStream", stream);
    }
  }
  const seen = new Map<unknown, string>();
  return entries.map(([name, given]) => {
    if (name === "" || name.includes("/")) {
      // "/" joins the names of nested sinks in counts and errors.
      fail("a sink's name", 'a non-empty string without "/"', name);
    }
    if (!(given instanceof WritableStream)) {
      fail(`sinks.${name}`, "a WritableStream", given);
    }
    if (seen.has(given)) {
      throw new TypeError(
        `Cannot create ${what}: sinks.${name} is the same stream as sinks.${
          seen.get(given)
        }; a stream takes one writer`,
      );
    }
    seen.set(given, name);
    const parts = (given as { [BRANCH_PARTS]?: BranchParts })[BRANCH_PARTS];
    return {
      name,
      processors: parts?.processors ?? [],
      sink: parts?.sink ?? (given as WritableStream<unknown>),
      given: given as WritableStream<unknown>,
      bestEffort: bestEffort.includes(name),
      deadLetter: deadLetters[name],
    };
  });
}

function names(entries: [string, unknown][]): string {
  return entries.map(([name]) => `"${name}"`).join(", ");
}
