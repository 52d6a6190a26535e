// Copyright 2026 the @ca/streams authors. MIT license.

import type { RunnerProgress } from "./runner_host.ts";

/** What `ca run` knows of a run at one moment. */
export interface RunSnapshot {
  /** The pipeline's id. */
  id: string;
  /** Time since the start, in ms. */
  elapsedMs: number;
  /** The pipeline's state. */
  state: "running" | "stopped" | "degraded";
  /** Every runner, in config order. */
  runners: {
    name: string;
    runtime: string;
    version?: string;
    pid?: number;
    state: string;
    progress?: RunnerProgress;
  }[];
  /** The processors' names, in pipeline order. */
  processors: string[];
  /** The sources' names: their records read are summed. */
  sources: string[];
  /** The sinks' names: their records stored are summed, and shown each when several. */
  sinks: string[];
  /** Why the pipeline is degraded. */
  error?: string;
}

const count = new Intl.NumberFormat("en-US");

/** Records read by the sources, and stored by each sink and by all. */
function totals(
  snapshot: RunSnapshot,
  records: ReadonlyMap<string, number>,
): { read: number; written: number; sinks: [string, number][] } {
  const sum = (names: readonly string[]) =>
    names.reduce((total, name) => total + (records.get(name) ?? 0), 0);
  return {
    read: sum(snapshot.sources),
    written: sum(snapshot.sinks),
    sinks: snapshot.sinks.map((name) => [name, records.get(name) ?? 0]),
  };
}

/**
 * A run's progress as the fields of a JSON log line: the pipeline, its
 * state, elapsed ms, records read (by the sources) and written (by the
 * sinks, and by each when there are several), records/s, every checkpoint
 * position and every runner.
 *
 * @param snapshot The run.
 * @returns The fields.
 */
export function progressFields(
  snapshot: RunSnapshot,
): Record<string, unknown> {
  const seconds = Math.max(snapshot.elapsedMs / 1000, 0.001);
  const records = new Map<string, number>();
  const positions: Record<string, unknown> = {};
  for (const runner of snapshot.runners) {
    for (const [name, p] of Object.entries(runner.progress?.processors ?? {})) {
      records.set(name, p.records);
    }
    Object.assign(positions, runner.progress?.positions ?? {});
  }
  const { read, written, sinks } = totals(snapshot, records);
  return {
    pipeline: snapshot.id,
    state: snapshot.state,
    elapsedMs: Math.round(snapshot.elapsedMs),
    recordsRead: read,
    recordsWritten: written,
    ...(sinks.length > 1 ? { sinks: Object.fromEntries(sinks) } : {}),
    recordsPerSecond: Math.round(written / seconds),
    positions,
    runners: snapshot.runners.map((runner) => ({
      name: runner.name,
      runtime: runner.runtime,
      pid: runner.pid,
      state: runner.state,
    })),
    ...(snapshot.error === undefined ? {} : { error: snapshot.error }),
  };
}

/**
 * Draws a run's progress: with `live`, a block of lines for a terminal
 * (the state of every runner and processor, records and records/s, the
 * checkpoint positions); else one line (a progress line while it runs, the
 * summary at the end).
 *
 * @param snapshot The run.
 * @param options `live` for the terminal view.
 * @returns The text, ending with a newline.
 */
export function renderProgress(
  snapshot: RunSnapshot,
  options: { live: boolean },
): string {
  const seconds = Math.max(snapshot.elapsedMs / 1000, 0.001);
  const records = new Map<string, number>();
  const states = new Map<string, string>();
  const positions: [string, unknown][] = [];
  for (const runner of snapshot.runners) {
    for (const [name, p] of Object.entries(runner.progress?.processors ?? {})) {
      records.set(name, p.records);
      states.set(name, p.state);
    }
    for (
      const [id, position] of Object.entries(runner.progress?.positions ?? {})
    ) {
      positions.push([id, position]);
    }
  }
  const { read: first, written: last, sinks } = totals(snapshot, records);
  const rate = (n: number) => `${count.format(Math.round(n / seconds))}/s`;
  const each = sinks.length > 1
    ? `${sinks.map(([name, n]) => `${name} ${count.format(n)}`).join(", ")}; `
    : "";
  if (!options.live) {
    const checkpoint = positions.length === 0
      ? ""
      : `; checkpoint ${
        positions.map(([id, p]) => `${id}=${JSON.stringify(p ?? null)}`).join(
          " ",
        )
      }`;
    return `ca: pipeline ${snapshot.id} ${snapshot.state} after ${
      seconds.toFixed(1)
    } s: ${count.format(first)} records read, ${
      count.format(last)
    } written (${each}${rate(last)})${checkpoint}${
      snapshot.error ? `; ${snapshot.error}` : ""
    }\n`;
  }
  const lines = [
    `ca run ${snapshot.id}  ${snapshot.state}  ${seconds.toFixed(1)} s  ${
      count.format(last)
    } records written, ${each}${rate(last)}`,
  ];
  for (const runner of snapshot.runners) {
    lines.push(
      `  ${runner.name} (${runner.runtime}${
        runner.version ? " " + runner.version : ""
      }${runner.pid ? `, pid ${runner.pid}` : ""})  ${runner.state}`,
    );
    for (const name of Object.keys(runner.progress?.processors ?? {})) {
      const n = records.get(name) ?? 0;
      lines.push(
        `    ${name.padEnd(24)} ${(states.get(name) ?? "").padEnd(9)} ${
          count.format(n).padStart(12)
        } records ${rate(n).padStart(12)}`,
      );
    }
  }
  for (const [id, position] of positions) {
    lines.push(`  checkpoint ${id}: ${JSON.stringify(position ?? null)}`);
  }
  if (snapshot.error) lines.push(`  error: ${snapshot.error}`);
  return lines.join("\n") + "\n";
}
