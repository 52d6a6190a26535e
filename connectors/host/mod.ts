// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The connector host: many connectors (pipeline configs) kept running,
 * managed over HTTP, their definitions kept as events. `connectorHost()`
 * runs configs as `ca run` does; `ConnectorHost` takes a runner of your
 * own. `ca serve` serves one.
 *
 * ```ts
 * import { connectorHost, memoryDefinitionStore } from "@ca/streams/host";
 *
 * const host = connectorHost({ definitions: memoryDefinitionStore(), tokens: { admin: ["t"] } });
 * await host.start();
 * const answer = await host.fetch(new Request("http://host/readyz"));
 * if (answer.status !== 200) throw new Error("not ready");
 * await host.stop();
 * ```
 *
 * @module
 */

export * from "../../src/host/mod.ts";
export * from "../cli/connector_host.ts";
export * from "../cli/config_runner.ts";
