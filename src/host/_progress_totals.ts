// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectorProgress } from "./connector_runner.ts";

type Stages = NonNullable<ConnectorProgress["stages"]>;
type Sinks = NonNullable<ConnectorProgress["sinks"]>;

/** A connector's counters over its runs, for the metrics. */
export interface CounterTotals {
  stages: Stages;
  sinks: Sinks;
  commits: number | undefined;
  /** When the last commit succeeded, as ISO 8601. */
  lastCommitAt: string | undefined;
}

/**
 * The counters of a connector's ended runs (records out per stage, batch
 * writes per sink, commits and the time of the last), so that its `_total` metrics only go up while
 * the host runs, across restarts and stops, as its records read do.
 */
export class ProgressTotals {
  #ended: CounterTotals = {
    stages: {},
    sinks: {},
    commits: undefined,
    lastCommitAt: undefined,
  };

  /**
   * Adds the counters of a run that ended.
   *
   * @param progress Its last progress.
   */
  add(progress: ConnectorProgress): void {
    this.#ended = this.with(progress);
  }

  /**
   * The ended runs' counters plus those of the running one.
   *
   * @param progress The progress of the run now, if one runs.
   * @returns The totals.
   */
  with(progress: ConnectorProgress | undefined): CounterTotals {
    const ended = this.#ended;
    if (progress === undefined) return ended;
    const stages: Stages = { ...ended.stages };
    for (
      const [name, { recordsOut }] of Object.entries(progress.stages ?? {})
    ) {
      stages[name] = {
        recordsOut: (stages[name]?.recordsOut ?? 0) + recordsOut,
      };
    }
    const sinks: Sinks = { ...ended.sinks };
    for (const [name, now] of Object.entries(progress.sinks ?? {})) {
      const before = sinks[name];
      if (before === undefined) {
        sinks[name] = now;
        continue;
      }
      // Cumulative counts per bound add up, bound by bound.
      const counts = new Map(before.latency.buckets);
      for (const [le, count] of now.latency.buckets) {
        counts.set(le, (counts.get(le) ?? 0) + count);
      }
      sinks[name] = {
        batches: before.batches + now.batches,
        latency: {
          buckets: [...counts].sort(([a], [b]) => a - b),
          sum: before.latency.sum + now.latency.sum,
          count: before.latency.count + now.latency.count,
        },
      };
    }
    const commits = progress.commits === undefined
      ? ended.commits
      : (ended.commits ?? 0) + progress.commits;
    const lastCommitAt = progress.lastCommitAt ?? ended.lastCommitAt;
    return { stages, sinks, commits, lastCommitAt };
  }
}
