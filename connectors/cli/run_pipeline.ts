// Copyright 2026 the @ca/streams authors. MIT license.

import type { CliLog } from "./cli_log.ts";
import type { CliRuntime, StopSignal } from "./cli_runtime.ts";
import { ConfigRun } from "./config_run.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import type { LoadedConfig } from "./load_config.ts";
import {
  progressFields,
  renderProgress,
  type RunSnapshot,
} from "./render_progress.ts";

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

/**
 * Runs a loaded config as `ca run` does, with a {@linkcode ConfigRun}: the
 * runners of this runtime in this process, the others as child processes
 * (`runner_main`), wired by their channels. The run ends when every runner
 * is done; the first failure (a processor, a runner that exits or is
 * killed) aborts every runner, and SIGINT or SIGTERM stop it gracefully:
 * the sources stop, everything read drains to the sinks, checkpoints are
 * committed. A second signal aborts. Progress is drawn on a terminal, or
 * written as lines on stderr.
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
  const run = await ConfigRun.start(loaded, {
    runtime,
    runnerEntry: options.runnerEntry,
    log,
    debug: options.debug,
  });
  let stopSignal: StopSignal | undefined;
  /** Why a second signal aborted the run, unless it had failed already. */
  let secondSignal: { message: string; exitCode: number } | undefined;

  const stopListening = runtime.onStopSignal((signal) => {
    if (stopSignal) {
      secondSignal ??= {
        message: `aborted by a second ${signal}`,
        exitCode: signal === "SIGINT"
          ? EXIT_CODES.interrupted
          : EXIT_CODES.terminated,
      };
      void run.abort(secondSignal.message);
      return;
    }
    stopSignal = signal;
    if (options.view === "live") runtime.writeStdout("\n");
    log.write(
      "info",
      "signal",
      `ca: ${signal}: stopping gracefully (sources stop, in-flight records drain, checkpoints commit); ${signal} again aborts`,
      { signal },
    );
    void run.stop();
  });

  const snapshot = (): RunSnapshot => {
    const now = run.progress();
    return secondSignal ? { ...now, state: "degraded" } : now;
  };
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

  const failure = await run.ended ??
    (secondSignal && { runner: "", atStartup: false, ...secondSignal });
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
}
