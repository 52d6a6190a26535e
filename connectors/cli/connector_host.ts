// Copyright 2026 the @ca/streams authors. MIT license.

import { ConnectorHost } from "../../src/host/connector_host.ts";
import type { ConnectorHostOptions } from "../../src/host/connector_host_options.ts";
import type { ConnectorRunner } from "../../src/host/connector_runner.ts";
import { configRunner, type ConfigRunnerOptions } from "./config_runner.ts";

/**
 * Options for {@linkcode connectorHost}: those of `ConnectorHost`, with the
 * runner made from configs by default.
 *
 * @example A host whose relative paths start in /srv/etl
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorHostSetup } from "@ca/streams/host";
 *
 * const setup: ConnectorHostSetup = {
 *   definitions: memoryDefinitionStore(),
 *   root: "/srv/etl",
 *   tokens: { admin: ["a-long-random-admin-token"] },
 * };
 * if (setup.root !== "/srv/etl") throw new Error("unexpected");
 * ```
 */
export interface ConnectorHostSetup
  extends
    Omit<ConnectorHostOptions, "runner">,
    Partial<Omit<ConfigRunnerOptions, "root">> {
  /**
   * What runs the connectors; default `configRunner()` with `root`,
   * `allowModules`, `checkpointStore` and the other options given here.
   */
  runner?: ConnectorRunner;
  /**
   * The directory relative paths in configs are relative to; default the
   * working directory.
   */
  root?: string;
}

/**
 * A connector host that runs pipeline configs as `ca run` runs them: many
 * connectors, each a config whose `id` is the connector's id (and its
 * checkpoint id), managed over HTTP through `host.fetch` (serve it with
 * `Deno.serve`, `serveNode()` from `@ca/streams/node-server`, or `ca
 * serve`). Call `await host.start()` to rebuild the connectors from their
 * events and start the enabled ones, and `await host.stop()` to stop them
 * all gracefully. The API, the states and the events are those of
 * `ConnectorHost`.
 *
 * @param options Where definitions are kept, the tokens, and how configs
 * run (`root`, `allowModules`, `checkpointStore`), or a runner of your own.
 * @returns The host.
 *
 * @example Create a connector over HTTP and see it run
 * ```ts
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { connectorHost, memoryDefinitionStore } from "@ca/streams/host";
 *
 * const root = await mkdtemp(join(tmpdir(), "ca-host-"));
 * const host = connectorHost({
 *   definitions: memoryDefinitionStore(),
 *   root,
 *   checkpointStore: { type: "file", dir: join(root, "checkpoints") },
 *   tokens: { admin: ["admin-token"] },
 * });
 * await host.start();
 * const headers = { authorization: "Bearer admin-token", "content-type": "application/json" };
 * const created = await host.fetch(new Request("http://host/connectors", {
 *   method: "POST",
 *   headers,
 *   body: JSON.stringify({
 *     id: "numbers",
 *     start: true,
 *     config: {
 *       runners: { main: { runtime: "Deno" in globalThis ? "deno" : "node" } },
 *       processors: [
 *         { name: "gen", use: "generate", args: { count: 100 } },
 *         { name: "out", use: "file-sink", args: { path: "numbers.ndjson" } },
 *       ],
 *     },
 *   }),
 * }));
 * if (created.status !== 201) throw new Error(await created.text());
 * await host.stop();
 * await rm(root, { recursive: true });
 * ```
 */
export function connectorHost(options: ConnectorHostSetup): ConnectorHost {
  const {
    runner,
    root,
    allowModules,
    checkpointStore,
    env,
    registry,
    runnerEntry,
    log,
    metrics,
    ...host
  } = options;
  return new ConnectorHost({
    ...host,
    runner: runner ?? configRunner({
      root: root ?? ".",
      ...(allowModules === undefined ? {} : { allowModules }),
      ...(checkpointStore === undefined ? {} : { checkpointStore }),
      ...(env === undefined ? {} : { env }),
      ...(registry === undefined ? {} : { registry }),
      ...(runnerEntry === undefined ? {} : { runnerEntry }),
      ...(log === undefined ? {} : { log }),
      ...(metrics === undefined ? {} : { metrics }),
    }),
  });
}
