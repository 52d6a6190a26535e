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

import { ConfigError } from "../../src/config/config_error.ts";
import { describeError } from "../../src/errors/describe_error.ts";
import { loadCliRuntime } from "./cli_runtime.ts";
import type { ChildMessage, ParentMessage } from "./control_message.ts";
import { defaultRegistry } from "./default_registry.ts";
import { RunnerHost } from "./runner_host.ts";

/** How often progress goes to the parent, in ms. */
const PROGRESS_MS = 250;

const runtime = await loadCliRuntime();
runtime.onStopSignal(() => {});
const send = (message: ChildMessage) =>
  runtime.writeStdout(JSON.stringify(message) + "\n");
const fail = (error: unknown, config: boolean): never => {
  send({
    type: "error",
    message: error instanceof Error ? error.message : String(error),
    code: (error as { code?: string })?.code,
    config,
  });
  runtime.writeStderr(`${describeError(error)}\n`);
  return runtime.exit(config ? 2 : 1);
};

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
    false,
  );
}
const { plan } = start as Extract<ParentMessage, { type: "start" }>;

const registry = defaultRegistry();
try {
  for (const url of plan.modules) {
    registry.registerModule(await import(url), url);
  }
} catch (error) {
  fail(error, true);
}

const host = new RunnerHost(plan, registry, {
  onListening: (channel, port) => send({ type: "listening", channel, port }),
});
let finished: Promise<void>;
try {
  ({ finished } = await host.start());
} catch (error) {
  await host.abort(error);
  fail(error, error instanceof ConfigError);
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
  fail(error, false);
}
