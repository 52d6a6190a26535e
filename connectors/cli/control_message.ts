// Copyright 2026 the @ca/streams authors. MIT license.

import type { RunnerPlan } from "../../src/config/runner_plan.ts";
import type { RunnerProgress } from "./runner_host.ts";

/**
 * What `ca run` tells a child runner, one JSON object per line on its stdin
 * (`docs/runners.md`, "Control protocol").
 */
export type ParentMessage =
  | { type: "start"; plan: RunnerPlan }
  | { type: "connect"; channel: string; host: string; port: number }
  | { type: "stop" }
  | { type: "abort"; reason?: string };

/** What a child runner tells `ca run`, one JSON object per line on its stdout. */
export type ChildMessage =
  | { type: "hello"; runtime: string; version: string; pid: number }
  | { type: "listening"; channel: string; port: number }
  /** Every segment runs: its store, processors and channels started. */
  | { type: "started" }
  | ({ type: "progress" } & RunnerProgress)
  /** A line for `ca`'s stdout (what a processor printed with `console.log`). */
  | { type: "output"; text: string }
  | { type: "done" }
  | {
    type: "error";
    message: string;
    code?: string;
    path?: string;
    /** The config is wrong (bad args, a missing package): exit 2. */
    config?: boolean;
    /** The runner could not start (a store or address unreachable): exit 3. */
    startup?: boolean;
  };
