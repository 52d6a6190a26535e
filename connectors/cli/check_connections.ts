// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import { validateArgs } from "../../src/config/validate_args.ts";
import { errorLine } from "./error_line.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import { exitCodeOf } from "./exit_code_of.ts";
import type { LoadedConfig } from "./load_config.ts";
import { probeStore } from "./probe_store.ts";

/** How long each store or address may take to answer, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;

/** What `ca validate --connect` found. */
export interface ConnectionReport {
  /** What answered, in words: `checkpoint store "file": starter/readings at 49`. */
  reached: string[];
  /** What did not, each with its exit code (3, or 2 for a missing package). */
  problems: { path: string; message: string; exitCode: number }[];
}

/** The checkpoint ids of a config: its segments that hold a source. */
function sourceSegments(loaded: LoadedConfig): string[] {
  return loaded.plans.flatMap((plan) => plan.segments)
    .filter((segment) => segment.processors.some((p) => p.from.length === 0))
    .map((segment) => segment.id);
}

/**
 * Opens what a loaded config names outside this process, as a run would,
 * and closes it again: the checkpoint store (created from its registered
 * definition, each segment's checkpoint read, closed) and every channel's
 * listening address (the reader's transport listens there, then stops).
 * Nothing is written.
 *
 * @param loaded The config, loaded and valid.
 * @param options How long each may take (default 10 s).
 * @returns What answered and what did not.
 */
export async function checkConnections(
  loaded: LoadedConfig,
  options: { timeoutMs?: number } = {},
): Promise<ConnectionReport> {
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  const report: ConnectionReport = { reached: [], problems: [] };
  const { config, registry, baseUrl, plans } = loaded;
  if (config.checkpoint) {
    const type = config.checkpoint.store.type;
    try {
      const positions = await probeStore(config.checkpoint.store, {
        registry,
        pipelineId: config.id,
        baseUrl,
        ids: sourceSegments(loaded),
        timeoutMs,
      });
      report.reached.push(
        `checkpoint store "${type}"${
          positions.size === 0
            ? ""
            : `: ${
              [...positions].map(([id, position]) =>
                `${id} at ${
                  position === undefined
                    ? "the start"
                    : JSON.stringify(position)
                }`
              ).join(", ")
            }`
        }`,
      );
    } catch (error) {
      report.problems.push({
        path: error instanceof ConfigError
          ? error.issues[0]?.path ?? "/checkpoint/store"
          : "/checkpoint/store",
        message: errorLine(error),
        exitCode: exitCodeOf(error, EXIT_CODES.runner),
      });
    }
  }
  for (const plan of plans) {
    for (const channel of plan.segments.flatMap((s) => s.inputs)) {
      const address = `${channel.host}:${channel.port}`;
      const what = `channel "${channel.name}" (${channel.transport})`;
      const definition = registry.get("transport", channel.transport);
      if (!definition) continue; // the config check reported it
      const limit = new AbortController();
      const timer = setTimeout(
        () => limit.abort(new Error(`no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      try {
        const args = await validateArgs(definition, channel.args, {
          path: "/channels",
        });
        if (!args.ok) throw new ConfigError(args.issues);
        const listener = await definition.listen(args.value, {
          host: channel.host,
          port: channel.port,
          signal: limit.signal,
        });
        await listener.close();
        report.reached.push(`${what} can listen on ${address}`);
      } catch (error) {
        report.problems.push({
          path: "/channels",
          message: `${what} cannot listen on ${address}: ${errorLine(error)}`,
          exitCode: exitCodeOf(error, EXIT_CODES.runner),
        });
      } finally {
        clearTimeout(timer);
      }
    }
  }
  return report;
}
