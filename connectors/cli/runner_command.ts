// Copyright 2026 the @ca/streams authors. MIT license.

import type { RunnerConfig } from "../../src/config/pipeline_config.ts";
import { toFilePath } from "../runtime/to_file_path.ts";

/** The environment variable naming each runtime's executable. */
export const EXECUTABLE_VARIABLES: Readonly<
  Record<RunnerConfig["runtime"], string>
> = {
  deno: "CA_DENO",
  node: "CA_NODE",
  python: "CA_PYTHON",
};

/** The executable looked up on `PATH` when nothing else names one. */
const ON_PATH: Readonly<Record<RunnerConfig["runtime"], string>> = {
  deno: "deno",
  node: "node",
  python: "python3",
};

/**
 * The command line that starts a child runner: the runtime's executable,
 * found in this order: the runner's `executable` in the config, the
 * environment variable (`CA_DENO`, `CA_NODE`, `CA_PYTHON`), then the name
 * on `PATH` (`deno`, `node`, `python3`); then the runner program: the
 * `ca` runner entry for Deno and Node, the runner's `script` for Python.
 *
 * @param runner The runner's config.
 * @param options The runner entry (a `file:` URL), the environment, and the
 *   config's directory for relative paths.
 * @returns The executable and its arguments.
 */
export function runnerCommand(
  runner: RunnerConfig,
  options: {
    runnerEntry: string;
    env: Record<string, string | undefined>;
    baseUrl: string;
  },
): { command: string; args: string[] } {
  const variable = options.env[EXECUTABLE_VARIABLES[runner.runtime]];
  const command = runner.executable ||
    (variable ? variable : ON_PATH[runner.runtime]);
  // A runner entry outside the file system (jsr:, https:) is for Deno only.
  const entry = options.runnerEntry.startsWith("file:")
    ? toFilePath(options.runnerEntry, options.baseUrl)
    : options.runnerEntry;
  switch (runner.runtime) {
    case "deno":
      return { command, args: ["run", "-A", entry] };
    case "node":
      return { command, args: [entry] };
    case "python":
      return {
        command,
        args: [toFilePath(runner.script ?? "", options.baseUrl)],
      };
  }
}
