// Copyright 2026 the @ca/streams authors. MIT license.

import type { CliLog } from "./cli_log.ts";
import type { CliRuntime } from "./cli_runtime.ts";
import { checkConnections } from "./check_connections.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import { graphMermaid } from "./graph_mermaid.ts";
import { loadConfig, type LoadedConfig } from "./load_config.ts";
import { reportFailure } from "./report_failure.ts";

/** The name standard input goes by in messages. */
const STDIN = "<stdin>";

/** One line on what a valid config runs where. */
function summary(loaded: LoadedConfig): string {
  const where = loaded.plans.map((plan) =>
    `${plan.runner} (${plan.runtime}): ${
      plan.segments.flatMap((s) => s.processors.map((p) => p.name)).join(", ")
    }`
  ).join("; ");
  return `pipeline ${loaded.config.id}, ${loaded.config.processors.length} processors on ${loaded.plans.length} runner(s): ${where}`;
}

/**
 * `ca validate FILE...`: checks each config (`-` reads one from standard
 * input) and prints its own lines: `ok: FILE: ...` on stdout, or a line per
 * problem on stderr. With `connect`, also opens the store and channel
 * addresses each config names. With `graph`, a valid config's graph is
 * printed as a Mermaid flowchart instead of the `ok` line (in JSON logs, as
 * the `graph` field of the `valid` line).
 *
 * @param files The config files.
 * @param options The runtime, the log, `connect`, `graph` and `debug`.
 * @returns The worst exit code of all files.
 */
export async function validateCommand(
  files: string[],
  options: {
    runtime: CliRuntime;
    log: CliLog;
    connect: boolean;
    graph: boolean;
    debug: boolean;
  },
): Promise<number> {
  const { runtime, log } = options;
  let stdin: Promise<string> | undefined;
  let worst: number = EXIT_CODES.ok;
  for (const file of files) {
    const name = file === "-" ? STDIN : file;
    let loaded: LoadedConfig;
    try {
      const text = file === "-"
        ? await (stdin ??= runtime.readStdin())
        : undefined;
      loaded = await loadConfig(file, runtime, { text });
    } catch (error) {
      const code = reportFailure(log, name, error, {
        fallback: EXIT_CODES.failed,
        debug: options.debug,
      });
      worst = Math.max(worst, code);
      continue;
    }
    let reached: string[] = [];
    if (options.connect) {
      const report = await checkConnections(loaded);
      for (const problem of report.problems) {
        log.write(
          "error",
          "connect",
          `ca: ${name}: ${problem.path}: ${problem.message}`,
          { file: name, ...problem },
        );
        worst = Math.max(worst, problem.exitCode);
      }
      if (report.problems.length > 0) continue;
      reached = report.reached;
    }
    const text = `ok: ${name}: ${summary(loaded)}${
      reached.length > 0 ? `; reached ${reached.join("; ")}` : ""
    }`;
    const graph = options.graph
      ? graphMermaid(
        loaded.config,
        (use, runner) =>
          loaded.config.runners[runner]?.runtime === "python"
            ? loaded.pythonProcessors.get(use)?.kind
            : loaded.registry.processor(use)?.kind,
      )
      : undefined;
    runtime.writeStdout(
      log.format === "json"
        ? JSON.stringify({
          level: "info",
          event: "valid",
          file: name,
          pipeline: loaded.config.id,
          message: text,
          ...(options.connect ? { reached } : {}),
          ...(graph === undefined ? {} : { graph }),
        }) + "\n"
        : graph ?? `${text}\n`,
    );
  }
  return worst;
}
