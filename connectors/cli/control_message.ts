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
  | ({ type: "progress" } & RunnerProgress)
  | { type: "done" }
  | {
    type: "error";
    message: string;
    code?: string;
    path?: string;
    config?: boolean;
  };
