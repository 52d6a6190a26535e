// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A child runner: `ca run` starts one per runner of another runtime than
 * its own (`deno run -A runner_main.ts`, `node runner_main.js`) and talks
 * to it in JSON lines over stdin and stdout (`ParentMessage`,
 * `ChildMessage`). It runs one runner's segments with a `RunnerHost`.
 * Stop signals are for the parent, which stops the runners in order: a
 * child ignores them and exits when told, or when its stdin closes.
 *
 * @module
 */

import { loadCliRuntime } from "./cli_runtime.ts";
import type { ChildMessage, ParentMessage } from "./control_message.ts";
import { defaultRegistry } from "./default_registry.ts";
import { errorLine } from "./error_line.ts";
import { exitCodeOf } from "./exit_code_of.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import { probeStore } from "./probe_store.ts";
import { RunnerHost } from "./runner_host.ts";

/** How often progress goes to the parent, in ms. */
const PROGRESS_MS = 250;

const runtime = await loadCliRuntime();
runtime.onStopSignal(() => {});
const debug = runtime.env().CA_DEBUG === "1";
const send = (message: ChildMessage) =>
  runtime.writeStdout(JSON.stringify(message) + "\n");
/**
 * Reports a failure to `ca run` in one message (the stack on stderr only
 * with `ca --debug`) and exits: 2 for the config (bad args, a module that
 * does not load, a missing package), 3 when the runner could not start (a
 * store or address that cannot be reached), 1 when a processor failed.
 */
const fail = (error: unknown, when: "config" | "start" | "run"): never => {
  const exitCode = exitCodeOf(
    error,
    when === "config"
      ? EXIT_CODES.config
      : when === "start"
      ? EXIT_CODES.runner
      : EXIT_CODES.failed,
  );
  send({
    type: "error",
    message: errorLine(error),
    code: (error as { code?: string })?.code,
    config: exitCode === EXIT_CODES.config,
    // A server that could not be reached is a start failure, even though
    // the connector found out on its first read or write.
    startup: when !== "run" || exitCode === EXIT_CODES.runner,
  });
  if (debug && error instanceof Error) runtime.writeStderr(`${error.stack}\n`);
  return runtime.exit(exitCode);
};

// This process's stdout carries the control protocol: what processors print
// with console.log (a console-sink) goes to ca's stdout as "output" lines.
const print = (...data: unknown[]) =>
  send({
    type: "output",
    text: data.map((item) => {
      if (typeof item === "string") return item;
      try {
        return JSON.stringify(item) ?? String(item);
      } catch {
        return String(item);
      }
    }).join(" "),
  });
globalThis.console.log = print;
globalThis.console.info = print;
globalThis.console.debug = print;

send({
  type: "hello",
  runtime: runtime.name,
  version: runtime.version,
  pid: runtime.pid,
});
const lines = runtime.stdinLines()[Symbol.asyncIterator]();
const first = await lines.next();
if (first.done) runtime.exit(0);
const start = JSON.parse(first.value) as ParentMessage;
if (start.type !== "start") {
  fail(
    new Error(`Cannot run: expected a start message, got ${start.type}`),
    "start",
  );
}
const { plan } = start as Extract<ParentMessage, { type: "start" }>;

const registry = defaultRegistry();
try {
  for (const url of plan.modules) {
    registry.registerModule(await import(url), url);
  }
} catch (error) {
  fail(error, "config");
}

const host = new RunnerHost(plan, registry, {
  onListening: (channel, port) => send({ type: "listening", channel, port }),
});
let finished: Promise<void>;
try {
  // Clients connect lazily: make sure the store answers before starting.
  if (plan.checkpoint) {
    await probeStore(plan.checkpoint.store, {
      registry,
      pipelineId: plan.pipelineId,
      baseUrl: plan.baseUrl,
      ids: plan.segments.map((segment) => segment.id),
    });
  }
  ({ finished } = await host.start());
  send({ type: "started" });
} catch (error) {
  await host.abort(error).catch(() => {});
  fail(error, "start");
}
const progress = setInterval(
  () => send({ type: "progress", ...host.progress() }),
  PROGRESS_MS,
);

void (async () => {
  for (;;) {
    const next = await lines.next();
    if (next.done) return void host.stop(); // the parent is gone
    let message: ParentMessage;
    try {
      message = JSON.parse(next.value) as ParentMessage;
    } catch {
      runtime.writeStderr(`ignoring a line that is not JSON: ${next.value}\n`);
      continue;
    }
    if (message.type === "connect") {
      host.connect(message.channel, message.host, message.port);
    } else if (message.type === "stop") void host.stop();
    else if (message.type === "abort") {
      void host.abort(new Error(message.reason ?? "aborted by ca run"));
    }
  }
})();

try {
  await finished!;
  clearInterval(progress);
  send({ type: "progress", ...host.progress() });
  send({ type: "done" });
  runtime.exit(0);
} catch (error) {
  clearInterval(progress);
  send({ type: "progress", ...host.progress() });
  fail(error, "run");
}
