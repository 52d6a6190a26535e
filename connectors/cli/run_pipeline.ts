// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import type { RunnerConfig } from "../../src/config/pipeline_config.ts";
import type { RunnerPlan } from "../../src/config/runner_plan.ts";
import type { ChildProcess, CliRuntime, StopSignal } from "./cli_runtime.ts";
import type { ChildMessage, ParentMessage } from "./control_message.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import type { LoadedConfig } from "./load_config.ts";
import { renderProgress, type RunSnapshot } from "./render_progress.ts";
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
  /** `"live"`: redraw progress on the terminal; `"summary"`: one line at the end. */
  view: "live" | "summary";
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
}

/** Why the run ended badly. */
interface Failure {
  runner: string;
  message: string;
  exitCode: number;
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
 * @param loaded The config.
 * @param runtime The runtime services.
 * @param options The child runner program and the progress view.
 * @returns The exit code ({@linkcode EXIT_CODES}).
 */
export async function runPipeline(
  loaded: LoadedConfig,
  runtime: CliRuntime,
  options: RunPipelineOptions,
): Promise<number> {
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

  const fail = (runner: Runner, message: string, exitCode: number) => {
    if (runner.state === "done" || runner.state === "failed") return;
    runner.state = "failed";
    failure ??= { runner: runner.plan.runner, message, exitCode };
    settle();
  };

  /** Tells the writer of `channel` where its reader listens. */
  const route = (reader: Runner, channel: string, port: number) => {
    const input = reader.plan.segments.find((s) => s.input?.name === channel)
      ?.input;
    const host = !input || ["0.0.0.0", "::", ""].includes(input.host)
      ? "127.0.0.1"
      : input.host;
    for (const writer of runners.values()) {
      if (!writer.plan.segments.some((s) => s.output?.name === channel)) {
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
      const { finished } = await host.start();
      runner.state = "running";
      finished.then(
        () => {
          if (runner.state === "running") runner.state = "done";
          check();
        },
        (error) => fail(runner, messageOf(error), EXIT_CODES.failed),
      );
    } catch (error) {
      fail(
        runner,
        messageOf(error),
        error instanceof ConfigError ? EXIT_CODES.config : EXIT_CODES.failed,
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
    const child = runtime.spawn(command, args, {
      onStderr: (line) => runtime.writeStderr(`[${name}] ${line}\n`),
    });
    runner.child = child;
    runner.pid = child.pid;
    runtime.writeStderr(
      `ca: runner "${name}" (${runner.config.runtime}, pid ${child.pid}) started: ${command} ${
        args.join(" ")
      }\n`,
    );
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
          runtime.writeStderr(`[${name}] ${line}\n`);
          continue;
        }
        switch (message.type) {
          case "hello":
            runner.version = message.version;
            runner.pid = message.pid;
            break;
          case "listening":
            runner.state = runner.state === "starting"
              ? "running"
              : runner.state;
            route(runner, message.channel, message.port);
            break;
          case "progress":
            if (runner.state === "starting") runner.state = "running";
            runner.progress = {
              processors: message.processors,
              positions: message.positions ?? {},
            };
            break;
          case "done":
            runner.state = "done";
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
        return fail(
          runner,
          `runner "${name}" (${how}) failed: ${lastError.message}`,
          lastError.config ? EXIT_CODES.config : EXIT_CODES.failed,
        );
      }
      if (stopSignal && status.code === 0) {
        runner.state = "done";
        return check();
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
    runtime.writeStderr(
      `\nca: ${signal}: stopping gracefully (sources stop, in-flight records drain, checkpoints commit); ${signal} again aborts\n`,
    );
    // The runners with a source stop; the others end when their writer
    // ends its stream.
    for (const runner of runners.values()) {
      if (!runner.plan.segments.some((s) => !s.input)) continue;
      if (runner.host) void runner.host.stop();
      else runner.child?.send(JSON.stringify({ type: "stop" }));
    }
  });

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
    error: failure?.message,
  });

  let drawn = "";
  const draw = () => {
    const text = renderProgress(snapshot(), { live: true });
    const lines = drawn === "" ? 0 : drawn.split("\n").length - 1;
    runtime.writeStdout((lines > 0 ? `\x1b[${lines}F\x1b[J` : "") + text);
    drawn = text;
  };
  const drawing = options.view === "live"
    ? setInterval(draw, DRAW_MS)
    : undefined;

  await ended;
  if (failure) await abortAll(failure.message);
  await Promise.all([...runners.values()].map((r) => r.exited));
  clearInterval(drawing);
  stopListening();
  if (options.view === "live") draw();
  else runtime.writeStdout(renderProgress(snapshot(), { live: false }));
  if (failure) {
    runtime.writeStderr(
      `ca: pipeline ${loaded.config.id} degraded: ${failure.message}\n`,
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
