// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import type { RunnerConfig } from "../../src/config/pipeline_config.ts";
import { processorInputs } from "../../src/config/processor_inputs.ts";
import type { RunnerPlan, SegmentPlan } from "../../src/config/runner_plan.ts";
import type { CliLog } from "./cli_log.ts";
import type { ChildProcess, CliRuntime } from "./cli_runtime.ts";
import type { ChildMessage, ParentMessage } from "./control_message.ts";
import { errorLine } from "./error_line.ts";
import { exitCodeOf } from "./exit_code_of.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import type { LoadedConfig } from "./load_config.ts";
import { probeStore } from "./probe_store.ts";
import type { RunSnapshot } from "./render_progress.ts";
import { runnerCommand } from "./runner_command.ts";
import { TapError } from "../../src/host/tap_error.ts";
import {
  RunnerHost,
  type RunnerHostOptions,
  type RunnerProgress,
  type SinkWrites,
} from "./runner_host.ts";

/** How long aborted child runners get to exit before SIGKILL, in ms. */
const ABORT_GRACE_MS = 2000;

/** Options for {@linkcode ConfigRun.start}. */
export interface ConfigRunOptions {
  /** The runtime services: this process, child processes, stdout. */
  runtime: CliRuntime;
  /** The child runner program (`runner_main.ts` or `.js`), a `file:` URL. */
  runnerEntry: string;
  /**
   * Where the lines about runners go: each child's "running" line, what it
   * writes to stderr, and with `debug` the stack of a runner that could not
   * start.
   */
  log: CliLog;
  /** Stack traces with errors, here and in child runners. */
  debug?: boolean;
  /**
   * The environment that names the runtimes' executables (`CA_DENO`,
   * `CA_NODE`, `CA_PYTHON`, `PATH`); default `runtime.env()`.
   */
  env?: Record<string, string | undefined>;
  /**
   * Opens the checkpoint stores of the runners of this process (default
   * `openStore`): a connector host shares one store among its connectors
   * (see `RunnerHostOptions.openStore`).
   */
  openStore?: RunnerHostOptions["openStore"];
  /**
   * Count for the metrics in the runners of this process (default true);
   * with false they put no counters, timers or store observer into the
   * pipelines (see `RunnerHostOptions.metrics`). Child runners count.
   */
  metrics?: boolean;
}

/** Why a {@linkcode ConfigRun} ended badly: the first failure. */
export interface ConfigRunFailure {
  /** The runner that failed. */
  runner: string;
  /**
   * The error's stable code (`CA_ERR_...`) when it has one; else
   * `"CA_ERR_CONFIG"` for a config failure (exit code 2) and
   * `"CA_ERR_CONNECTOR"` for any other.
   */
  code: string;
  /** One line, naming the runner: `runner "main" (deno) failed: ...`. */
  message: string;
  /**
   * The exit code of `ca run` ({@linkcode EXIT_CODES}): 2 for what a
   * config check can tell (bad args, a missing package, a module that does
   * not load), 3 for a runner or store that could not start or a runner
   * that crashed, 1 for a processor that failed while running.
   */
  exitCode: number;
  /** Worth trying again: every failure but a config failure (exit code 2). */
  transient: boolean;
  /** It never got going: a runner or store could not start. */
  atStartup: boolean;
}

/**
 * A run's progress: what `ca run` shows ({@linkcode RunSnapshot}) and the
 * totals of the whole pipeline.
 */
export interface ConfigRunProgress extends RunSnapshot {
  /** Records read by the config's sources. */
  recordsRead: number;
  /** Records stored by the config's sinks. */
  recordsWritten: number;
  /** Records dead-lettered: 0, since a config names no dead letter sink. */
  recordsDeadLettered: number;
  /** The last committed position of each segment with a checkpoint, by segment id. */
  positions: Record<string, Position | undefined>;
  /**
   * Records out of each processor of the config, by name: read by a
   * source, emitted by a processor (into a route: its input), stored by a
   * sink. Counted once per batch.
   */
  stages: Record<string, { recordsOut: number }>;
  /** The batch writes of each sink made with `batchSink()`, by name. */
  sinkWrites: Record<string, SinkWrites>;
  /** Checkpoint commits that succeeded, over every runner. */
  commits: number;
  /** When the last of them succeeded (ms since the epoch), if one did. */
  lastCommitAt?: number;
  /**
   * Records read and not yet committed, over every runner with a
   * checkpoint (see `RunnerProgress.uncommittedRecords`); absent when no
   * runner reports it.
   */
  uncommittedRecords?: number;
  /** The connection health of the sources and sinks that report one, by name. */
  health: {
    sources: Record<string, ConnectionHealth>;
    sinks: Record<string, ConnectionHealth>;
  };
}

/** One runner of the pipeline as a run sees it. */
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

/** A reason as text, for the runners it aborts. */
function reasonText(reason: unknown): string {
  return reason === undefined ? "aborted" : errorLine(reason);
}

/**
 * A loaded config running: the runners of this runtime in this process
 * (a {@linkcode RunnerHost} each), the others as child processes
 * (`runner_main`), wired by their channels. A reader listens on its own;
 * the run passes the port to the writer. It ends when every runner is
 * done; the first failure (a processor, a runner that exits or is killed)
 * aborts every runner. `ca run` runs a config with it, and so does the
 * connector host, for each connector.
 *
 * @example Run a config to its end
 * ```ts ignore
 * import { cliLog } from "./cli_log.ts";
 * import { loadCliRuntime } from "./cli_runtime.ts";
 * import { ConfigRun } from "./config_run.ts";
 * import { loadConfig } from "./load_config.ts";
 *
 * const runtime = await loadCliRuntime();
 * const loaded = await loadConfig("examples/deno-to-node.yaml", runtime);
 * const run = await ConfigRun.start(loaded, {
 *   runtime,
 *   runnerEntry: new URL("./runner_main.ts", import.meta.url).href,
 *   log: cliLog(runtime, "text"),
 * });
 * await run.started;
 * const failure = await run.ended;
 * if (failure) throw new Error(failure.message);
 * console.log(run.progress().recordsWritten);
 * ```
 */
export class ConfigRun {
  #loaded: LoadedConfig;
  #options: ConfigRunOptions;
  #runners = new Map<string, Runner>();
  #began = performance.now();
  #failure: ConfigRunFailure | undefined;
  /** Stopping gracefully: a child that exits with 0 is done. */
  #stopping = false;
  /** Aborted without a failure: the reason, for the runners. */
  #aborted: string | undefined;
  #settle!: () => void;
  #settled = new Promise<void>((resolve) => this.#settle = resolve);
  #up = false;
  #upResolve!: () => void;
  #upReject!: (error: Error) => void;
  #started = new Promise<void>((resolve, reject) => {
    this.#upResolve = resolve;
    this.#upReject = reject;
  });
  #ended: Promise<ConfigRunFailure | undefined>;
  #sources: string[];
  #sinks: string[];

  /**
   * Starts the runners of a loaded config: the child processes first, so
   * that every writer can be told its reader's port, then the runners of
   * this runtime, one after the other (each once its checkpoint store
   * answers).
   *
   * @param loaded The config, read, checked and planned.
   * @param options The runtime, the child runner program and the log.
   * @returns The run, once every runner was started or failed to start:
   * whether they run, {@linkcode ConfigRun.started} tells.
   */
  static async start(
    loaded: LoadedConfig,
    options: ConfigRunOptions,
  ): Promise<ConfigRun> {
    const run = new ConfigRun(loaded, options);
    await run.#launch();
    run.#ended = run.#finish();
    return run;
  }

  private constructor(loaded: LoadedConfig, options: ConfigRunOptions) {
    this.#loaded = loaded;
    this.#options = options;
    this.#ended = Promise.resolve(undefined);
    this.#started.catch(() => {}); // a caller may only await `ended`
    for (const plan of loaded.plans) {
      this.#runners.set(plan.runner, {
        plan,
        config: loaded.config.runners[plan.runner]!,
        state: "starting",
      });
    }
    // Sources read from nothing; sinks are read by nothing.
    const inputs = processorInputs(loaded.config);
    const read = new Set(inputs.flat());
    this.#sources = loaded.config.processors.filter((_, i) =>
      inputs[i]!.length === 0
    ).map((p) => p.name);
    this.#sinks = loaded.config.processors.filter((p) => !read.has(p.name))
      .map((p) => p.name);
  }

  /**
   * Resolves once every runner runs (or is done already); rejects, with an
   * error whose `failure` is the {@linkcode ConfigRunFailure}, when one
   * fails first. A run stopped or aborted before it got going resolves it
   * when it ends.
   */
  get started(): Promise<void> {
    return this.#started;
  }

  /**
   * Settles once every runner ended (children exited, stores closed):
   * `undefined` when the run finished, was stopped or aborted, else its
   * first failure. Never rejects.
   */
  get ended(): Promise<ConfigRunFailure | undefined> {
    return this.#ended;
  }

  /**
   * Stops gracefully: the runners with a source of the config stop reading
   * it, everything read drains to the sinks, checkpoints are committed; the
   * other runners end when their writers end their streams.
   *
   * @returns Resolves once the run ended.
   */
  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      for (const runner of this.#runners.values()) {
        if (!runner.plan.segments.some(holdsSource)) continue;
        if (runner.host) void runner.host.stop();
        else runner.child?.send(JSON.stringify({ type: "stop" }));
      }
    }
    await this.#ended;
  }

  /**
   * Stops every runner at once; child runners that do not exit in time are
   * killed. A run aborted before it failed ends without a failure.
   *
   * @param reason Why, passed to the runners.
   * @returns Resolves once the run ended.
   */
  async abort(reason?: unknown): Promise<void> {
    if (this.#failure === undefined && this.#aborted === undefined) {
      this.#aborted = reasonText(reason);
    }
    this.#settle();
    await this.#ended;
  }

  /**
   * Subscribes to the records out of a processor (or source) of the
   * config, once per batch: see `RunnerHost.tap`. Only the runners in this
   * process can be tapped.
   *
   * @returns Removes the listener.
   * @throws {TapError} For a name that is no processor of the config, or
   * one that cannot be tapped (a sink, a stage of a child runner).
   */
  tap(
    stage: string,
    listener: (records: readonly unknown[]) => void,
  ): () => void {
    const names = this.#loaded.config.processors.map((p) => p.name);
    const runner = [...this.#runners.values()].find((r) =>
      r.plan.segments.some((s) => s.processors.some((p) => p.name === stage))
    );
    if (runner === undefined) {
      throw new TapError(
        "CA_ERR_HOST_UNKNOWN_STAGE",
        `Cannot tap stage "${stage}": the config has no such processor (${
          names.join(", ")
        })`,
      );
    }
    if (runner.host === undefined) {
      throw new TapError(
        "CA_ERR_HOST_TAP_UNSUPPORTED",
        `Cannot tap stage "${stage}": it runs in runner "${runner.plan.runner}", a child process (${runner.plan.runtime}); the tap works for stages of in-process runners (${this.#options.runtime.name})`,
      );
    }
    return runner.host.tap(stage, listener);
  }

  /**
   * The progress now: every runner and processor as `ca run` shows them,
   * the records read by the sources and stored by the sinks, the
   * checkpoint positions and commits, the records out of each processor,
   * the batch writes of each sink and the connection health. Child runners
   * report theirs every second or so.
   *
   * @returns The progress.
   */
  progress(): ConfigRunProgress {
    const runners = [...this.#runners.values()];
    const snapshot: RunSnapshot = {
      id: this.#loaded.config.id,
      elapsedMs: performance.now() - this.#began,
      state: this.#failure
        ? "degraded"
        : runners.every((r) => r.state === "done")
        ? "stopped"
        : "running",
      runners: runners.map((runner) => ({
        name: runner.plan.runner,
        runtime: runner.plan.runtime,
        version: runner.version,
        pid: runner.pid,
        state: runner.state,
        progress: runner.host?.progress() ?? runner.progress,
      })),
      processors: this.#loaded.config.processors.map((p) => p.name),
      sources: this.#sources,
      sinks: this.#sinks,
    };
    const records = new Map<string, number>();
    const positions: Record<string, Position | undefined> = {};
    const sinkWrites: Record<string, SinkWrites> = {};
    const health: ConfigRunProgress["health"] = { sources: {}, sinks: {} };
    let commits = 0;
    let lastCommitAt: number | undefined;
    let uncommitted: number | undefined;
    for (const runner of snapshot.runners) {
      const progress = runner.progress;
      if (progress === undefined) continue;
      for (const [name, p] of Object.entries(progress.processors ?? {})) {
        records.set(name, p.records);
      }
      Object.assign(positions, progress.positions ?? {});
      Object.assign(sinkWrites, progress.sinkWrites ?? {});
      Object.assign(health.sources, progress.health?.sources ?? {});
      Object.assign(health.sinks, progress.health?.sinks ?? {});
      commits += progress.commits ?? 0;
      if (progress.lastCommitAt !== undefined) {
        lastCommitAt = Math.max(lastCommitAt ?? 0, progress.lastCommitAt);
      }
      if (progress.uncommittedRecords !== undefined) {
        uncommitted = (uncommitted ?? 0) + progress.uncommittedRecords;
      }
    }
    const sum = (names: readonly string[]) =>
      names.reduce((total, name) => total + (records.get(name) ?? 0), 0);
    const stages: Record<string, { recordsOut: number }> = {};
    for (const name of snapshot.processors) {
      stages[name] = { recordsOut: records.get(name) ?? 0 };
    }
    const progress: ConfigRunProgress = {
      ...snapshot,
      recordsRead: sum(this.#sources),
      recordsWritten: sum(this.#sinks),
      recordsDeadLettered: 0,
      positions,
      stages,
      sinkWrites,
      commits,
      health,
    };
    if (lastCommitAt !== undefined) progress.lastCommitAt = lastCommitAt;
    if (uncommitted !== undefined) progress.uncommittedRecords = uncommitted;
    return progress;
  }

  /** Settles the run once every runner is done, or one failed. */
  #check(): void {
    if (
      this.#failure ||
      [...this.#runners.values()].every((r) => r.state === "done")
    ) {
      this.#settle();
    }
  }

  /**
   * Once every runner runs, each child gets its "running" line; a run that
   * fails before that is its one error line.
   */
  #whenUp(): void {
    if (this.#up || this.#failure || this.#aborted !== undefined) return;
    const runners = [...this.#runners.values()];
    if (runners.some((r) => r.state === "starting")) return;
    this.#up = true;
    this.#upResolve();
    for (const runner of runners) runner.announce?.();
  }

  #fail(
    runner: Runner,
    message: string,
    exitCode: number,
    options: { atStartup?: boolean; code?: unknown } = {},
  ): void {
    if (runner.state === "done" || runner.state === "failed") return;
    runner.state = "failed";
    if (this.#failure === undefined && this.#aborted === undefined) {
      const code = typeof options.code === "string" &&
          options.code.startsWith("CA_ERR_")
        ? options.code
        : exitCode === EXIT_CODES.config
        ? "CA_ERR_CONFIG"
        : "CA_ERR_CONNECTOR";
      this.#failure = {
        runner: runner.plan.runner,
        code,
        message,
        exitCode,
        transient: exitCode !== EXIT_CODES.config,
        atStartup: options.atStartup ?? false,
      };
      if (!this.#up) {
        this.#upReject(
          Object.assign(new Error(message), { code, failure: this.#failure }),
        );
      }
    }
    this.#settle();
  }

  /** Tells the writer of `channel` where its reader listens. */
  #route(reader: Runner, channel: string, port: number): void {
    const input = reader.plan.segments.flatMap((s) => s.inputs)
      .find((input) => input.name === channel);
    const host = !input || ["0.0.0.0", "::", ""].includes(input.host)
      ? "127.0.0.1"
      : input.host;
    for (const writer of this.#runners.values()) {
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
  }

  async #launch(): Promise<void> {
    const { runtime, log } = this.#options;
    const { registry } = this.#loaded;
    // Children first, so that every writer can be told its reader's port.
    for (const runner of this.#runners.values()) {
      if (runner.plan.runtime === runtime.name) continue;
      this.#startChild(runner);
    }
    for (const runner of this.#runners.values()) {
      if (runner.plan.runtime !== runtime.name) continue;
      runner.pid = runtime.pid;
      runner.version = runtime.version;
      const host = new RunnerHost(runner.plan, registry, {
        onListening: (channel, port) => this.#route(runner, channel, port),
        openStore: this.#options.openStore,
        metrics: this.#options.metrics,
      });
      runner.host = host;
      try {
        // Clients connect lazily: make sure the store answers before starting.
        const checkpoint = runner.plan.checkpoint;
        if (checkpoint) {
          await probeStore(checkpoint.store, {
            registry,
            pipelineId: runner.plan.pipelineId,
            baseUrl: runner.plan.baseUrl,
            ids: runner.plan.segments.map((segment) => segment.id),
            open: this.#options.openStore,
          });
        }
        const { finished } = await host.start();
        runner.state = "running";
        this.#whenUp();
        finished.then(
          () => {
            if (runner.state === "running") runner.state = "done";
            this.#check();
          },
          (error) =>
            this.#fail(
              runner,
              `runner "${runner.plan.runner}" (${runner.plan.runtime}) failed: ${
                errorLine(error)
              }`,
              exitCodeOf(error, EXIT_CODES.failed),
              { code: (error as { code?: unknown } | null)?.code },
            ),
        );
      } catch (error) {
        if (this.#options.debug && error instanceof Error && error.stack) {
          log.write("error", "error", error.stack, { stack: error.stack });
        }
        await host.abort(error).catch(() => {});
        this.#fail(
          runner,
          `runner "${runner.plan.runner}" (${runner.plan.runtime}) could not start: ${
            errorLine(error)
          }`,
          exitCodeOf(error, EXIT_CODES.runner),
          {
            atStartup: true,
            code: (error as { code?: unknown } | null)?.code,
          },
        );
      }
    }
  }

  #startChild(runner: Runner): void {
    const { runtime, log, debug } = this.#options;
    const { command, args } = runnerCommand(runner.config, {
      runnerEntry: this.#options.runnerEntry,
      env: this.#options.env ?? runtime.env(),
      baseUrl: this.#loaded.baseUrl,
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
      env: debug ? { CA_DEBUG: "1" } : undefined,
      onStderr: (line) => {
        if (this.#up || debug) passOn(line);
        else early.push(line);
      },
    });
    runner.child = child;
    runner.pid = child.pid;
    if (debug) {
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
            this.#route(runner, message.channel, message.port);
            break;
          case "started":
            if (runner.state === "starting") runner.state = "running";
            runner.announced = true;
            this.#whenUp();
            break;
          case "progress":
            if (runner.state === "starting") runner.state = "running";
            runner.announced = true;
            this.#whenUp();
            {
              const { type: _, ...progress } = message;
              runner.progress = {
                ...progress,
                positions: progress.positions ?? {},
              };
            }
            break;
          case "output":
            runtime.writeStdout(`${message.text}\n`);
            break;
          case "done":
            runner.state = "done";
            this.#whenUp();
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
      if (runner.state === "done" && status.code === 0) return this.#check();
      if (lastError) {
        const startup = lastError.startup === true;
        return this.#fail(
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
          {
            atStartup: startup || lastError.config === true,
            code: lastError.code,
          },
        );
      }
      if (this.#stopping && status.code === 0) {
        runner.state = "done";
        return this.#check();
      }
      if (!runner.announced) {
        const why = telling(early) ??
          (status.signal
            ? `killed by ${status.signal}`
            : `exited with code ${status.code}`);
        return this.#fail(
          runner,
          `runner "${name}" (${runner.config.runtime}) could not start: ${why}`,
          EXIT_CODES.runner,
          { atStartup: true },
        );
      }
      this.#fail(
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

  /** Waits for the end; on a failure or an abort, aborts every runner first. */
  async #finish(): Promise<ConfigRunFailure | undefined> {
    await this.#settled;
    const reason = this.#failure?.message ?? this.#aborted;
    if (reason !== undefined) await this.#abortAll(reason);
    await Promise.all([...this.#runners.values()].map((r) => r.exited));
    this.#upResolve(); // stopped or aborted before it got going
    return this.#failure;
  }

  /** Stops every runner at once; kills children that do not exit in time. */
  async #abortAll(reason: string): Promise<void> {
    const hosts: Promise<void>[] = [];
    for (const runner of this.#runners.values()) {
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
