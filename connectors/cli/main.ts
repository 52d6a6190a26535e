// Copyright 2026 the @ca/streams authors. MIT license.

import { didYouMean } from "../../src/config/suggest.ts";
import { commandHelp, COMMANDS, mainUsage } from "./cli_commands.ts";
import { cliLog, type LogFormat } from "./cli_log.ts";
import { type CliRuntime, loadCliRuntime } from "./cli_runtime.ts";
import { type CommandLine, parseCommandLine } from "./command_line.ts";
import { configJsonSchema } from "./config_json_schema.ts";
import { defaultRegistry } from "./default_registry.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import { listDefinitions, listText } from "./list_definitions.ts";
import { loadConfig } from "./load_config.ts";
import { reportFailure } from "./report_failure.ts";
import { runPipeline } from "./run_pipeline.ts";
import { starterConfig } from "./starter_config.ts";
import { serveCommand } from "./serve_command.ts";
import { UsageError } from "./usage_error.ts";
import { validateCommand } from "./validate_command.ts";

/** The version `ca --version` prints. */
const VERSION = "0.6.0";
/** The file `ca init` writes when given none. */
const STARTER_FILE = "pipeline.yaml";
/** How often `ca run` prints a progress line outside a terminal, in ms. */
const PROGRESS_INTERVAL_MS = 5000;

/**
 * Options for {@linkcode main}.
 *
 * @example Run a config with the runner program at a chosen URL
 * ```ts
 * import { EXIT_CODES, main } from "@ca/streams/cli";
 * import type { MainOptions } from "@ca/streams/cli";
 *
 * const path = await Deno.makeTempFile({ suffix: ".yaml" });
 * try {
 *   await Deno.writeTextFile(path, `id: demo
 * runners: { main: { runtime: deno, executable: ${Deno.execPath()} } }
 * processors:
 *   - { name: numbers, use: generate, args: { count: 2 } }
 *   - { name: out, use: console-sink }
 * `);
 *   // Where the runner program lives: here the one that ships beside main().
 *   const runnerEntry = new URL("runner_main.ts", import.meta.resolve("@ca/streams/cli")).href;
 *   const options: MainOptions = { runnerEntry };
 *   const code = await main(["run", path], options);
 *   if (code !== EXIT_CODES.ok) throw new Error(`ca run exited with ${code}`);
 * } finally {
 *   await Deno.remove(path);
 * }
 * ```
 */
export interface MainOptions {
  /** The child runner program, a URL (default `runner_main.ts` beside this module). */
  runnerEntry?: string;
}

/**
 * `--progress-interval`: `5s`, `500ms`, `1m`, or seconds (`2.5`); 0 turns
 * the progress lines off.
 */
function parseInterval(
  text: string,
  command = "run",
  flag = "--progress-interval",
  zero = " (0: none)",
): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `ca ${command}: ${flag} expects a duration such as 5s, 500ms, 1m or a number of seconds${zero}, got ${
        JSON.stringify(text)
      }`,
      command,
    );
  }
  const value = Number(match[1]);
  const unit = match[2] ?? "s";
  return Math.round(
    value * (unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000),
  );
}

function logFormat(line: CommandLine, command: string): LogFormat {
  const value = line.options.get("--log-format") ?? "text";
  if (value === "text" || value === "json") return value;
  throw new UsageError(
    `ca ${command}: --log-format expects text or json, got ${
      JSON.stringify(value)
    }${didYouMean(String(value), ["text", "json"])}`,
    command,
  );
}

/**
 * Runs the `ca` command with `args` and resolves to its exit code; it
 * prints to stdout and stderr but never exits the process. `ca --help`
 * lists the commands, `ca <command> --help` explains one.
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
  const [first, ...rest] = args;
  try {
    if (first === undefined) {
      runtime.writeStderr(mainUsage());
      return EXIT_CODES.usage;
    }
    if (first === "-h" || first === "--help") {
      runtime.writeStdout(mainUsage());
      return EXIT_CODES.ok;
    }
    if (first === "--version") {
      runtime.writeStdout(
        `ca (@ca/streams) ${VERSION}, ${runtime.name} ${runtime.version}\n`,
      );
      return EXIT_CODES.ok;
    }
    if (first.startsWith("-")) {
      throw new UsageError(
        `ca: expected a command first, got the option ${first}${
          didYouMean(first, ["--help", "--version"])
        }`,
      );
    }
    const spec = COMMANDS.find((command) => command.name === first);
    if (!spec) {
      throw new UsageError(
        `ca: unknown command ${JSON.stringify(first)}${
          didYouMean(first, COMMANDS.map((command) => command.name))
        }`,
      );
    }
    const line = parseCommandLine(rest, spec);
    if (line.help) {
      runtime.writeStdout(commandHelp(spec));
      return EXIT_CODES.ok;
    }
    return await runCommand(spec.name, line, runtime, options);
  } catch (error) {
    if (error instanceof UsageError) {
      runtime.writeStderr(
        `${error.message}; see ca ${
          error.command ? `${error.command} ` : ""
        }--help\n`,
      );
      return EXIT_CODES.usage;
    }
    // Not expected: one line all the same, the stack only with --debug.
    return reportFailure(cliLog(runtime, "text"), "ca", error, {
      fallback: EXIT_CODES.failed,
      debug: args.includes("--debug"),
    });
  }
}

async function runCommand(
  command: string,
  line: CommandLine,
  runtime: CliRuntime,
  options: MainOptions,
): Promise<number> {
  const [file] = line.operands;
  switch (command) {
    case "help": {
      if (file === undefined) {
        runtime.writeStdout(mainUsage());
        return EXIT_CODES.ok;
      }
      const spec = COMMANDS.find((c) => c.name === file);
      if (!spec) {
        throw new UsageError(
          `ca help: unknown command ${JSON.stringify(file)}${
            didYouMean(file, COMMANDS.map((c) => c.name))
          }`,
          "help",
        );
      }
      runtime.writeStdout(commandHelp(spec));
      return EXIT_CODES.ok;
    }
    case "init":
      return await init(file ?? STARTER_FILE, line, runtime);
    case "validate":
      return await validateCommand(line.operands, {
        runtime,
        log: cliLog(runtime, logFormat(line, command)),
        connect: line.options.has("--connect"),
        graph: line.options.has("--graph"),
        debug: line.debug,
      });
    case "run": {
      const log = cliLog(runtime, logFormat(line, command));
      const interval = line.options.get("--progress-interval");
      const progressIntervalMs = typeof interval === "string"
        ? parseInterval(interval)
        : PROGRESS_INTERVAL_MS;
      if (line.options.has("--live") && line.options.has("--summary")) {
        throw new UsageError(
          "ca run: --live and --summary exclude each other",
          "run",
        );
      }
      let loaded;
      try {
        loaded = await loadConfig(file!, runtime);
      } catch (error) {
        return reportFailure(log, file!, error, {
          fallback: EXIT_CODES.failed,
          debug: line.debug,
        });
      }
      // Records a console-sink prints share stdout: no redrawing there.
      const printing = loaded.config.processors.some((p) =>
        p.use === "console-sink"
      );
      const live = line.options.has("--live") ||
        (!line.options.has("--summary") && !printing &&
          log.format === "text" && runtime.isTerminal());
      return await runPipeline(loaded, runtime, {
        runnerEntry: options.runnerEntry ??
          new URL("./runner_main.ts", import.meta.url).href,
        view: live ? "live" : "lines",
        progressIntervalMs,
        log,
        file: file!,
        debug: line.debug,
      });
    }
    case "serve": {
      const port = line.options.get("--port") ?? "8080";
      if (
        typeof port !== "string" || !/^\d+$/.test(port) || Number(port) > 65535
      ) {
        throw new UsageError(
          `ca serve: --port must be a port number from 0 to 65535, got ${
            JSON.stringify(port)
          }`,
          "serve",
        );
      }
      const text = (name: string) => {
        const value = line.options.get(name);
        return typeof value === "string" ? value : undefined;
      };
      const ttl = text("--lease-ttl");
      const leaseTtlMs = ttl === undefined
        ? undefined
        : parseInterval(ttl, "serve", "--lease-ttl", "");
      if (leaseTtlMs !== undefined && leaseTtlMs < 300) {
        throw new UsageError(
          `ca serve: --lease-ttl must be at least 300ms, got ${
            JSON.stringify(ttl)
          }`,
          "serve",
        );
      }
      const cluster = text("--cluster");
      for (const flag of ["--host-id", "--labels", "--lease-ttl"]) {
        if (cluster === undefined && line.options.has(flag)) {
          throw new UsageError(
            `ca serve: ${flag} needs --cluster (the lease engine the hosts share)`,
            "serve",
          );
        }
      }
      return await serveCommand({
        port: Number(port),
        hostname: text("--hostname") ?? "127.0.0.1",
        store: text("--store"),
        root: text("--root"),
        allowModules: text("--allow-modules"),
        cluster,
        hostId: text("--host-id"),
        labels: text("--labels")?.split(",").map((label) => label.trim())
          .filter((label) => label !== ""),
        leaseTtlMs,
        runnerEntry: options.runnerEntry ??
          new URL("./runner_main.ts", import.meta.url).href,
        log: cliLog(runtime, logFormat(line, command)),
      }, runtime);
    }
    case "list":
    case "schema": {
      let registry = defaultRegistry();
      let python;
      if (file !== undefined) {
        try {
          const loaded = await loadConfig(file, runtime);
          registry = loaded.registry;
          python = loaded.pythonProcessors;
        } catch (error) {
          return reportFailure(cliLog(runtime, "text"), file, error, {
            fallback: EXIT_CODES.failed,
            debug: line.debug,
          });
        }
      }
      if (command === "schema") {
        runtime.writeStdout(
          JSON.stringify(configJsonSchema(registry, { python }), null, 2) +
            "\n",
        );
        return EXIT_CODES.ok;
      }
      const entries = listDefinitions(registry, python);
      runtime.writeStdout(
        line.options.has("--json")
          ? JSON.stringify(entries, null, 2) + "\n"
          : listText(entries),
      );
      return EXIT_CODES.ok;
    }
  }
  throw new UsageError(`ca: unknown command ${JSON.stringify(command)}`);
}

/** `ca init [FILE]`: writes the starter config, never over a file unless --force. */
async function init(
  file: string,
  line: CommandLine,
  runtime: CliRuntime,
): Promise<number> {
  const force = line.options.has("--force");
  const path = file.startsWith("/") ? file : `${runtime.cwd()}/${file}`;
  const name = file.split("/").at(-1)!;
  const dir = file.slice(0, file.length - name.length);
  try {
    await runtime.writeTextFile(path, starterConfig(runtime.name, name), {
      createNew: !force,
    });
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") {
      runtime.writeStderr(
        `ca: ${file} exists: not overwritten (ca init --force ${file} overwrites it)\n`,
      );
      return EXIT_CODES.usage;
    }
    return reportFailure(cliLog(runtime, "text"), file, error, {
      fallback: EXIT_CODES.failed,
      debug: line.debug,
    });
  }
  const next = [
    [`ca run ${file}`, "run it (Ctrl-C stops; a rerun resumes)"],
    [
      `ca schema > ${dir}ca.schema.json`,
      `editors then check ${name} as you type`,
    ],
    ["ca list", "everything a config can use"],
  ];
  const width = Math.max(...next.map(([command]) => command!.length));
  runtime.writeStdout(
    `wrote ${file}, a starter pipeline that runs as it is. Next:\n${
      next.map(([command, what]) => `  ${command!.padEnd(width)}  ${what}\n`)
        .join("")
    }`,
  );
  return EXIT_CODES.ok;
}
