// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import type { ProcessorRegistry } from "../../src/config/processor_registry.ts";
import { type CliRuntime, loadCliRuntime } from "./cli_runtime.ts";
import { defaultRegistry } from "./default_registry.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import { loadConfig } from "./load_config.ts";
import { runPipeline } from "./run_pipeline.ts";

const USAGE = `Usage: ca <command> [options]

Commands:
  validate FILE        check a pipeline config (YAML or JSON) without running it
  run FILE             run it; on a terminal with live progress, else one summary line
  list [FILE] [--json] the processors and their args (with FILE: its modules' too);
                       --json prints each one's JSON Schema, for editors

Options:
  --live / --summary   force the progress view of run
  -h, --help           this text
  --version            the version of ca and of the runtime

Exit codes: 0 ok, 1 a processor failed, 2 invalid config, 3 a runner crashed,
64 usage, 130/143 stopped by SIGINT/SIGTERM (gracefully).
`;

/** Options for {@linkcode main}. */
export interface MainOptions {
  /** The child runner program, a URL (default `runner_main.ts` beside this module). */
  runnerEntry?: string;
}

/**
 * Runs the `ca` command with `args` and resolves to its exit code; it
 * prints to stdout and stderr but never exits the process.
 *
 * @param args The command line after `ca`.
 * @param options The child runner program.
 * @returns The exit code ({@linkcode EXIT_CODES}).
 *
 * @example Validate a config
 * ```ts ignore
 * import { main } from "@ca/streams/cli";
 *
 * const code = await main(["validate", "pipeline.yaml"]);
 * ```
 */
export async function main(
  args: string[],
  options: MainOptions = {},
): Promise<number> {
  const runtime: CliRuntime = await loadCliRuntime();
  const flags = new Set(args.filter((a) => a.startsWith("-")));
  const [command, file, ...rest] = args.filter((a) => !a.startsWith("-"));
  const usage = (message: string) => {
    runtime.writeStderr(`ca: ${message}\n\n${USAGE}`);
    return EXIT_CODES.usage;
  };
  if (flags.has("-h") || flags.has("--help") || command === "help") {
    runtime.writeStdout(USAGE);
    return EXIT_CODES.ok;
  }
  if (flags.has("--version")) {
    runtime.writeStdout(
      `ca (@ca/streams) 0.1.0, ${runtime.name} ${runtime.version}\n`,
    );
    return EXIT_CODES.ok;
  }
  const known = new Set(["--json", "--live", "--summary"]);
  const unknown = [...flags].find((flag) => !known.has(flag));
  if (unknown) return usage(`unknown option ${unknown}`);
  if (rest.length > 0) return usage(`unexpected argument ${rest[0]}`);
  try {
    switch (command) {
      case "validate": {
        if (!file) return usage("validate needs a config FILE");
        const loaded = await loadConfig(file, runtime);
        const where = loaded.plans.map((plan) =>
          `${plan.runner} (${plan.runtime}): ${
            plan.segments.flatMap((s) => s.processors.map((p) => p.name)).join(
              ", ",
            )
          }`
        ).join("; ");
        runtime.writeStdout(
          `ok: ${file}: pipeline ${loaded.config.id}, ${loaded.config.processors.length} processors on ${loaded.plans.length} runner(s): ${where}\n`,
        );
        return EXIT_CODES.ok;
      }
      case "run": {
        if (!file) return usage("run needs a config FILE");
        const loaded = await loadConfig(file, runtime);
        const live = flags.has("--live") ||
          (!flags.has("--summary") && runtime.isTerminal());
        return await runPipeline(loaded, runtime, {
          runnerEntry: options.runnerEntry ??
            new URL("./runner_main.ts", import.meta.url).href,
          view: live ? "live" : "summary",
        });
      }
      case "list": {
        const registry = file
          ? (await loadConfig(file, runtime)).registry
          : defaultRegistry();
        runtime.writeStdout(
          flags.has("--json") ? listJson(registry) : listText(registry),
        );
        return EXIT_CODES.ok;
      }
      case undefined:
        return usage("a command is needed");
      default:
        return usage(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      runtime.writeStderr(
        `ca: invalid config ${file}:\n${
          error.issues.map((issue) => `  ${formatIssue(issue)}`).join("\n")
        }\n`,
      );
      return EXIT_CODES.config;
    }
    runtime.writeStderr(
      `ca: ${error instanceof Error ? error.stack : error}\n`,
    );
    return EXIT_CODES.failed;
  }
}

function formatIssue(issue: { path: string; message: string }): string {
  return issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
}

function listJson(registry: ProcessorRegistry): string {
  return JSON.stringify(
    registry.list().map((definition) => ({
      name: definition.name,
      kind: definition.kind,
      description: definition.description,
      args: registry.jsonSchema(definition.name) ?? null,
    })),
    null,
    2,
  ) + "\n";
}

function listText(registry: ProcessorRegistry): string {
  const lines: string[] = [];
  for (const definition of registry.list()) {
    lines.push(`${definition.name} (${definition.kind})`);
    lines.push(`  ${definition.description}`);
    const schema = registry.jsonSchema(definition.name) as {
      properties?: Record<
        string,
        { type?: string; description?: string; enum?: unknown[] }
      >;
      required?: string[];
    } | undefined;
    for (const [name, property] of Object.entries(schema?.properties ?? {})) {
      const type = property.enum
        ? property.enum.map((v) => JSON.stringify(v)).join(" | ")
        : property.type ?? "any";
      const required = schema?.required?.includes(name) ? "" : " (optional)";
      lines.push(
        `    ${name}: ${type}${required}${
          property.description ? ` - ${property.description}` : ""
        }`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
