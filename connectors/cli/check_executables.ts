// Copyright 2026 the @ca/streams authors. MIT license.

import type { ConfigIssue } from "../../src/config/config_issue.ts";
import type { RunnerConfig } from "../../src/config/pipeline_config.ts";
import type { CliRuntime } from "./cli_runtime.ts";
import { findExecutable } from "./find_executable.ts";
import { EXECUTABLE_VARIABLES, runnerCommand } from "./runner_command.ts";

/** What each runtime's executable is, in messages. */
const WHAT: Readonly<Record<RunnerConfig["runtime"], string>> = {
  deno: "Deno",
  node: "Node",
  python: "the Python interpreter",
};

/**
 * Checks that every runner can be started, before anything starts: a
 * runner's `executable:` must be an executable file (on any host, so that
 * a config is valid or not whatever runs `ca`), and so must the executable
 * of each runner this host starts as a child process (another runtime than
 * its own, or Python), found as `ca run` would: `executable:`, then
 * `CA_DENO`/`CA_NODE`/`CA_PYTHON`, then `PATH`.
 *
 * @param runners The config's runners, by name.
 * @param options The runtime, the environment, the config's directory, and
 * where to add an issue per runner that cannot start.
 * @returns The names of the runners with an issue.
 */
export async function checkExecutables(
  runners: Record<string, RunnerConfig>,
  options: {
    runtime: CliRuntime;
    env: Record<string, string | undefined>;
    baseUrl: string;
    issues: ConfigIssue[];
  },
): Promise<Set<string>> {
  const broken = new Set<string>();
  for (const [name, runner] of Object.entries(runners)) {
    const child = runner.runtime !== options.runtime.name;
    if (!child && runner.executable === undefined) continue;
    const { command } = runnerCommand(runner, {
      runnerEntry: "",
      env: options.env,
      baseUrl: options.baseUrl,
    });
    if (await findExecutable(command, options.runtime, options.env)) continue;
    broken.add(name);
    const variable = EXECUTABLE_VARIABLES[runner.runtime];
    const bare = !command.includes("/");
    const missing = bare
      ? `${JSON.stringify(command)} is not on PATH`
      : `${JSON.stringify(command)} is not an executable file`;
    if (runner.executable !== undefined) {
      options.issues.push({
        path: `/runners/${name}/executable`,
        message: `cannot start runner "${name}": ${missing}`,
        expected: `the path of ${WHAT[runner.runtime]}`,
      });
    } else {
      const from = options.env[variable] ? ` ($${variable})` : "";
      options.issues.push({
        path: `/runners/${name}`,
        message: `cannot start runner "${name}": ${
          WHAT[runner.runtime]
        } ${missing}${from}; install it, or name it with executable: or $${variable}`,
      });
    }
  }
  return broken;
}
