// Copyright 2026 the @ca/streams authors. MIT license.

import type { RunnerConfig } from "../../src/config/pipeline_config.ts";
import { processorInputs } from "../../src/config/processor_inputs.ts";
import type { RunnerPlan, SegmentPlan } from "../../src/config/runner_plan.ts";
import type { CliLog } from "./cli_log.ts";
import type { ChildProcess, CliRuntime, StopSignal } from "./cli_runtime.ts";
import type { ChildMessage, ParentMessage } from "./control_message.ts";
import { errorLine } from "./error_line.ts";
import { exitCodeOf } from "./exit_code_of.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import type { LoadedConfig } from "./load_config.ts";
import { probeStore } from "./probe_store.ts";
import {
  progressFields,
  renderProgress,
  type RunSnapshot,
} from "./render_progress.ts";
import { runnerCommand } from "./runner_command.ts";
import { RunnerHost, type RunnerProgress } from "./runner_host.ts";

/** How long aborted child runners get to exit before SIGKILL, in ms. */
const ABORT_GRACE_MS = 2000;
/** How often a terminal's progress view is drawn, in ms. */
const DRAW_MS = 500;

/** Options for {@linkcode runPipeline}. */
export interface RunPipelineOptions {
  /** The child runner program (`runner_main.ts` or `.js`), a `file:` URL. */
  runnerEntry: string;
  /**
   * `"live"`: redraw progress on stdout, a terminal; `"lines"`: a progress
   * line on stderr every `progressIntervalMs`, and a summary line at the end.
   */
  view: "live" | "lines";
  /** With `"lines"`, how often a progress line is written; 0: never. */
  progressIntervalMs: number;
  /** Where the lines on stderr go, as text or JSON. */
  log: CliLog;
  /** The config file as given, for messages. */
  file: string;
  /** Stack traces with errors, here and in child runners. */
  debug: boolean;
}

/** One runner of the pipeline as `ca run` sees it. */
interface Runner {
  plan: RunnerPlan;
  config: RunnerConfig;
  state: "starting" | "running" | "done" | "failed" | "stopped";
  host?: RunnerHost;
  child?: ChildProcess;
  version?: string;
  pid?: number;
  progress?: RunnerProgress;
  exited?: Promise<void>;
  /** A child said it runs. */
  announced?: boolean;
  /** Writes a child's "running" line and the stderr it kept until then. */
  announce?: () => void;
}

/** Why the run ended badly. */
interface Failure {
  runner: string;
  message: string;
  exitCode: number;
  /** It never got going: a runner or store could not start. */
  atStartup?: boolean;
}

/** Whether a segment holds a source of the config (not only channel readers). */
function holdsSource(segment: SegmentPlan): boolean {
  return segment.processors.some((processor) => processor.from.length === 0);
}

/** The line of a child's stderr that says best why it ended. */
function telling(lines: string[]): string | undefined {
  return lines.filter((line) =>
    line.trim() !== "" && !/^\s+at /.test(line) && !/^Node\.js v/.test(line)
  ).at(-1)?.trim();
}

/**
 * Runs a loaded config: the runners of this runtime in this process, the
 * others as child processes (`runner_main`), wired by their channels. A
 * reader listens on its own; `ca run` passes the port to the writer. The
 * run ends when every runner is done; the first failure (a processor, a
 * runner that exits or is killed) aborts every runner, and SIGINT or
 * SIGTERM stop it gracefully: the sources stop, everything read drains to
 * the sinks, checkpoints are committed. A second signal aborts.
 *
 * A runner or store that cannot start is one line naming the runner, exit
 * 3 (2 for what a config check finds: bad args, a missing package); a
 * processor that fails while running is exit 1.
 *
 * @param loaded The config.
 * @param runtime The runtime services.
 * @param options The child runner program, the progress view and the log.
 * @returns The exit code ({@linkcode EXIT_CODES}).
 */
export async function runPipeline(
  loaded: LoadedConfig,
  runtime: CliRuntime,
  options: RunPipelineOptions,
): Promise<number> {
  const { log } = options;
  const started = performance.now();
  const runners = new Map<string, Runner>();
  let failure: Failure | undefined;
  let stopSignal: StopSignal | undefined;
  let settle!: () => void;
  const ended = new Promise<void>((resolve) => settle = resolve);
  const check = () => {
    if (failure || [...runners.values()].every((r) => r.state === "done")) {
      settle();
    }
  };
  // Once every runner runs, each child gets its "running" line; a run that
  // fails before that is its one error line.
  let up = false;
  const whenUp = () => {
    if (up || failure) return;
    if ([...runners.values()].some((r) => r.state === "starting")) return;
    up = true;
    for (const runner of runners.values()) runner.announce?.();
  };

  const fail = (
    runner: Runner,
    message: string,
    exitCode: number,
    atStartup = false,
  ) => {
    if (runner.state === "done" || runner.state === "failed") return;
    runner.state = "failed";
    failure ??= { runner: runner.plan.runner, message, exitCode, atStartup };
    settle();
  };

  /** Tells the writer of `channel` where its reader listens. */
  const route = (reader: Runner, channel: string, port: number) => {
    const input = reader.plan.segments.flatMap((s) => s.inputs)
      .find((input) => input.name === channel);
    const host = !input || ["0.0.0.0", "::", ""].includes(input.host)
      ? "127.0.0.1"
      : input.host;
    for (const writer of runners.values()) {
      if (
        !writer.plan.segments.some((s) =>
          s.outputs.some((output) => output.name === channel)
        )
      ) {
        continue;
      }
      if (writer.host) writer.host.connect(channel, host, port);
      else {
        writer.child?.send(JSON.stringify(
          { type: "connect", channel, host, port } satisfies ParentMessage,
        ));
      }
    }
  };

  for (const plan of loaded.plans) {
    runners.set(plan.runner, {
      plan,
      config: loaded.config.runners[plan.runner]!,
      state: "starting",
    });
  }

  // Children first, so that every writer can be told its reader's port.
  for (const runner of runners.values()) {
    if (runner.plan.runtime === runtime.name) continue;
    startChild(runner);
  }
  for (const runner of runners.values()) {
    if (runner.plan.runtime !== runtime.name) continue;
    runner.pid = runtime.pid;
    runner.version = runtime.version;
    const host = new RunnerHost(runner.plan, loaded.registry, {
      onListening: (channel, port) => route(runner, channel, port),
    });
    runner.host = host;
    try {
      // Clients connect lazily: make sure the store answers before starting.
      const checkpoint = runner.plan.checkpoint;
      if (checkpoint) {
        await probeStore(checkpoint.store, {
          registry: loaded.registry,
          pipelineId: runner.plan.pipelineId,
          baseUrl: runner.plan.baseUrl,
          ids: runner.plan.segments.map((segment) => segment.id),
        });
      }
      const { finished } = await host.start();
      runner.state = "running";
      whenUp();
      finished.then(
        () => {
          if (runner.state === "running") runner.state = "done";
          check();
        },
        (error) =>
          fail(
            runner,
            `runner "${runner.plan.runner}" (${runner.plan.runtime}) failed: ${
              errorLine(error)
            }`,
            exitCodeOf(error, EXIT_CODES.failed),
          ),
      );
    } catch (error) {
      if (options.debug && error instanceof Error && error.stack) {
        log.write("error", "error", error.stack, { stack: error.stack });
      }
      await host.abort(error).catch(() => {});
      fail(
        runner,
        `runner "${runner.plan.runner}" (${runner.plan.runtime}) could not start: ${
          errorLine(error)
        }`,
        exitCodeOf(error, EXIT_CODES.runner),
        true,
      );
    }
  }

  function startChild(runner: Runner): void {
    const { command, args } = runnerCommand(runner.config, {
      runnerEntry: options.runnerEntry,
      env: runtime.env(),
      baseUrl: loaded.baseUrl,
    });
    const name = runner.plan.runner;
    // Until the child runs, its stderr is kept: when it cannot start, the
    // one line that says why goes into the failure (all of it with --debug).
    const early: string[] = [];
    const passOn = (line: string) =>
      log.write("info", "runner-output", `[${name}] ${line}`, {
        runner: name,
        line,
      });
    const child = runtime.spawn(command, args, {
      env: options.debug ? { CA_DEBUG: "1" } : undefined,
      onStderr: (line) => {
        if (up || options.debug) passOn(line);
        else early.push(line);
      },
    });
    runner.child = child;
    runner.pid = child.pid;
    if (options.debug) {
      log.write(
        "info",
        "runner",
        `ca: runner "${name}" (${runner.config.runtime}, pid ${child.pid}) started: ${command} ${
          args.join(" ")
        }`,
        { runner: name, pid: child.pid, command, args },
      );
    }
    runner.announce = () => {
      log.write(
        "info",
        "runner",
        `ca: runner "${name}" (${runner.config.runtime}${
          runner.version ? ` ${runner.version}` : ""
        }, pid ${runner.pid}) running: ${command} ${args.join(" ")}`,
        {
          runner: name,
          runtime: runner.config.runtime,
          version: runner.version,
          pid: runner.pid,
          command,
          args,
        },
      );
      for (const line of early.splice(0)) passOn(line);
    };
    child.send(
      JSON.stringify(
        { type: "start", plan: runner.plan } satisfies ParentMessage,
      ),
    );
    let lastError: ChildMessage & { type: "error" } | undefined;
    const reading = (async () => {
      for await (const line of child.lines) {
        let message: ChildMessage;
        try {
          message = JSON.parse(line) as ChildMessage;
        } catch {
          passOn(line);
          continue;
        }
        switch (message.type) {
          case "hello":
            runner.version = message.version;
            runner.pid = message.pid;
            break;
          case "listening":
            route(runner, message.channel, message.port);
            break;
          case "started":
            if (runner.state === "starting") runner.state = "running";
            runner.announced = true;
            whenUp();
            break;
          case "progress":
            if (runner.state === "starting") runner.state = "running";
            runner.announced = true;
            whenUp();
            runner.progress = {
              processors: message.processors,
              positions: message.positions ?? {},
            };
            break;
          case "output":
            runtime.writeStdout(`${message.text}\n`);
            break;
          case "done":
            runner.state = "done";
            whenUp();
            break;
          case "error":
            lastError = message;
            break;
        }
      }
    })();
    runner.exited = child.status.then(async (status) => {
      await reading.catch(() => {});
      const how = `${runner.config.runtime}, pid ${runner.pid}`;
      if (runner.state === "done" && status.code === 0) return check();
      if (lastError) {
        const startup = lastError.startup === true;
        return fail(
          runner,
          `runner "${name}" (${runner.config.runtime}) ${
            startup ? "could not start" : "failed"
          }: ${lastError.message}`,
          exitCodeOf(
            lastError,
            lastError.config
              ? EXIT_CODES.config
              : startup
              ? EXIT_CODES.runner
              : EXIT_CODES.failed,
          ),
          startup || lastError.config === true,
        );
      }
      if (stopSignal && status.code === 0) {
        runner.state = "done";
        return check();
      }
      if (!runner.announced) {
        const why = telling(early) ??
          (status.signal
            ? `killed by ${status.signal}`
            : `exited with code ${status.code}`);
        return fail(
          runner,
          `runner "${name}" (${runner.config.runtime}) could not start: ${why}`,
          EXIT_CODES.runner,
          true,
        );
      }
      fail(
        runner,
        `runner "${name}" (${how}) ${
          status.signal
            ? `was killed by ${status.signal}`
            : `exited with code ${status.code} before it finished`
        }`,
        EXIT_CODES.runner,
      );
    });
  }

  const stopListening = runtime.onStopSignal((signal) => {
    if (stopSignal) {
      failure ??= {
        runner: "",
        message: `aborted by a second ${signal}`,
        exitCode: signal === "SIGINT"
          ? EXIT_CODES.interrupted
          : EXIT_CODES.terminated,
      };
      return settle();
    }
    stopSignal = signal;
    if (options.view === "live") runtime.writeStdout("\n");
    log.write(
      "info",
      "signal",
      `ca: ${signal}: stopping gracefully (sources stop, in-flight records drain, checkpoints commit); ${signal} again aborts`,
      { signal },
    );
    // The runners with a source stop; the others end when their writers
    // end their streams.
    for (const runner of runners.values()) {
      if (!runner.plan.segments.some(holdsSource)) continue;
      if (runner.host) void runner.host.stop();
      else runner.child?.send(JSON.stringify({ type: "stop" }));
    }
  });

  // Sources read from nothing; sinks are read by nothing.
  const inputs = processorInputs(loaded.config);
  const read = new Set(inputs.flat());
  const sources = loaded.config.processors.filter((_, i) =>
    inputs[i]!.length === 0
  ).map((p) => p.name);
  const sinks = loaded.config.processors.filter((p) => !read.has(p.name))
    .map((p) => p.name);
  const snapshot = (): RunSnapshot => ({
    id: loaded.config.id,
    elapsedMs: performance.now() - started,
    state: failure
      ? "degraded"
      : [...runners.values()].every((r) => r.state === "done")
      ? "stopped"
      : "running",
    runners: [...runners.values()].map((runner) => ({
      name: runner.plan.runner,
      runtime: runner.plan.runtime,
      version: runner.version,
      pid: runner.pid,
      state: runner.state,
      progress: runner.host?.progress() ?? runner.progress,
    })),
    processors: loaded.config.processors.map((p) => p.name),
    sources,
    sinks,
  });

  let drawn = "";
  const draw = () => {
    const text = renderProgress(snapshot(), { live: true });
    const lines = drawn === "" ? 0 : drawn.split("\n").length - 1;
    runtime.writeStdout((lines > 0 ? `\x1b[${lines}F\x1b[J` : "") + text);
    drawn = text;
  };
  /** A progress line, or the summary at the end, on stderr. */
  const line = (event: "progress" | "summary") => {
    const now = snapshot();
    log.write(
      "info",
      event,
      renderProgress(now, { live: false }).trimEnd(),
      progressFields(now),
    );
  };
  const ticking = options.view === "live"
    ? setInterval(draw, DRAW_MS)
    : options.progressIntervalMs > 0
    ? setInterval(() => line("progress"), options.progressIntervalMs)
    : undefined;

  await ended;
  if (failure) await abortAll(failure.message);
  await Promise.all([...runners.values()].map((r) => r.exited));
  clearInterval(ticking);
  stopListening();
  // A runner or store that could not start is one line: the error; any
  // other end shows the progress too.
  if (!failure?.atStartup) {
    if (options.view === "live") draw();
    else line("summary");
  }
  if (failure) {
    log.write(
      "error",
      "error",
      `ca: ${options.file}: ${
        failure.runner === "" ? "" : `pipeline ${loaded.config.id}: `
      }${failure.message}`,
      {
        file: options.file,
        pipeline: loaded.config.id,
        runner: failure.runner || undefined,
        exitCode: failure.exitCode,
      },
    );
    return failure.exitCode;
  }
  if (stopSignal === "SIGINT") return EXIT_CODES.interrupted;
  if (stopSignal === "SIGTERM") return EXIT_CODES.terminated;
  return EXIT_CODES.ok;

  /** Stops every runner at once; kills children that do not exit in time. */
  async function abortAll(reason: string): Promise<void> {
    const hosts: Promise<void>[] = [];
    for (const runner of runners.values()) {
      if (
        runner.state === "done" || (runner.state === "failed" && !runner.child)
      ) {
        continue;
      }
      if (runner.host) hosts.push(runner.host.abort(new Error(reason)));
      else if (runner.child) {
        const child = runner.child;
        child.send(JSON.stringify({ type: "abort", reason }));
        child.closeStdin();
        const timer = setTimeout(() => child.kill("SIGKILL"), ABORT_GRACE_MS);
        void child.status.then(() => clearTimeout(timer));
      }
    }
    await Promise.all(hosts);
  }
}
