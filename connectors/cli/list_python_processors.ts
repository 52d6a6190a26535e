// Copyright 2026 the @ca/streams authors. MIT license.

import type { ConfigIssue } from "../../src/config/config_issue.ts";
import { describeError } from "../../src/errors/describe_error.ts";
import type { ProcessorKind } from "../../src/config/define_processor.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import type { CliRuntime } from "./cli_runtime.ts";
import { runnerCommand } from "./runner_command.ts";

/** A processor a Python runner offers, as its `--list` describes it. */
export interface PythonProcessor {
  /** Source, processor or sink. */
  kind: ProcessorKind;
  /** One sentence, when it gives one. */
  description?: string;
  /** Its args as JSON Schema, when it gives one. */
  args?: Record<string, unknown>;
  /** The runner that offers it. */
  runner: string;
}

/** How long a Python runner may take to list its processors. */
const LIST_TIMEOUT_MS = 10_000;

/**
 * Asks each Python runner of a config (its processors not yet checked) which processors
 * it offers (`script --list`), so the config's check can name a processor
 * a Python runner lacks. Starts no processor.
 *
 * @param config The config, its structure checked.
 * @param options Runtime, environment, config directory, and where to add
 *   an issue when a runner cannot answer.
 * @returns The processors by name.
 */
export async function listPythonProcessors(
  config: PipelineConfig,
  options: {
    runtime: CliRuntime;
    env: Record<string, string | undefined>;
    baseUrl: string;
    issues: ConfigIssue[];
    /** Runners not to ask: their executable is missing (already an issue). */
    skip?: ReadonlySet<string>;
  },
): Promise<Map<string, PythonProcessor>> {
  const found = new Map<string, PythonProcessor>();
  for (const [name, runner] of Object.entries(config.runners)) {
    if (runner.runtime !== "python" || options.skip?.has(name)) continue;
    if (runner.script === undefined) {
      options.issues.push({
        path: `/runners/${name}/script`,
        message:
          "a Python runner needs its script (examples/python_runner/runner.py)",
        expected: "a path relative to the config file",
      });
      continue;
    }
    const { command, args } = runnerCommand(runner, {
      runnerEntry: "",
      env: options.env,
      baseUrl: options.baseUrl,
    });
    const stderr: string[] = [];
    const child = options.runtime.spawn(command, [...args, "--list"], {
      onStderr: (line) => stderr.push(line),
    });
    child.closeStdin();
    const timer = setTimeout(() => child.kill("SIGKILL"), LIST_TIMEOUT_MS);
    let output = "";
    for await (const line of child.lines) output += line + "\n";
    const status = await child.status;
    clearTimeout(timer);
    try {
      if (status.code !== 0) {
        throw new Error(
          `${command} exited with ${status.code ?? status.signal}${
            stderr.length > 0 ? `: ${stderr.slice(-3).join(" ")}` : ""
          }`,
        );
      }
      const listed = JSON.parse(output) as {
        name: string;
        kind: ProcessorKind;
        description?: string;
        args?: Record<string, unknown>;
      }[];
      for (const processor of listed) {
        found.set(processor.name, {
          kind: processor.kind,
          description: processor.description,
          args: processor.args,
          runner: name,
        });
      }
    } catch (error) {
      options.issues.push({
        path: `/runners/${name}`,
        message:
          `cannot list the processors of Python runner "${name}" (${command} ${
            args.join(" ")
          } --list): ${describeError(error)}`,
      });
    }
  }
  return found;
}
