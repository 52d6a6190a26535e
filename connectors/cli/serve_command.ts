// Copyright 2026 the @ca/streams authors. MIT license.

import type { LeaseEngine } from "../../src/cluster/lease_engine.ts";
import type { DefinitionStore } from "../../src/definition_store/definition_store.ts";
import { memoryDefinitionStore } from "../../src/definition_store/memory_definition_store.ts";
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import type { ConnectorHost } from "../../src/host/connector_host.ts";
import { connectorHost } from "./connector_host.ts";
import { serveNode } from "../node_server/serve_node.ts";
import { serveTaps } from "./tap_server.ts";
import type { CliLog } from "./cli_log.ts";
import type { CliRuntime } from "./cli_runtime.ts";
import { defaultRegistry } from "./default_registry.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";

/** What `ca serve` was given. */
export interface ServeSettings {
  port: number;
  hostname: string;
  /** `memory`, a directory, or a `postgres://` URL. */
  store: string | undefined;
  /** The base of relative paths in configs (default the working directory). */
  root: string | undefined;
  allowModules: string | undefined;
  /** The child runner program, a `file:` URL. */
  runnerEntry: string;
  log: CliLog;
  /** The lease engine of a cluster to join: a `postgres://` or `nats://` URL. */
  cluster?: string;
  /** This host's id in the cluster (default random). */
  hostId?: string;
  /** This host's labels. */
  labels?: string[];
  /** The lease time, in ms (default 10000). */
  leaseTtlMs?: number;
}

/** The directory under the root where `ca serve` keeps its state by default. */
const DEFAULT_STORE = ".ca-host";

/** `/a/b` + `c` -> `/a/b/c`; an absolute `path` stays. */
function resolvePath(base: string, path: string): string {
  if (path.startsWith("/")) return path;
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  return [base.replace(/\/+$/, ""), ...parts].join("/") || "/";
}

/**
 * Where definitions and checkpoints go: the definition store, and the
 * checkpoint store config of connectors that name none.
 */
async function openStores(
  spec: string,
  root: string,
  signal: AbortSignal,
  leaseTtlMs: number | undefined,
): Promise<{
  definitions: DefinitionStore;
  checkpointStore: StoreConfig | undefined;
  where: string;
}> {
  if (spec === "memory") {
    return {
      definitions: memoryDefinitionStore(),
      checkpointStore: { type: "memory" },
      where: "memory (lost when ca serve ends)",
    };
  }
  const registry = defaultRegistry();
  const baseUrl = `file://${root.replace(/\/*$/, "/")}`;
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const definition = registry.get("definitionStore", "postgres")!;
    const definitions = await definition.create(
      { url: spec } as never,
      { baseUrl, signal },
    ) as DefinitionStore;
    // In a cluster, a host paused in the middle of an exactly-once sink's
    // transaction would hold its checkpoint row locked, and so hold back
    // the host that takes the connector over (its acquire waits for the
    // lock): the server ends such a session once it idles in a transaction
    // for half the lease time.
    const url = new URL(spec);
    const idle = "idle_in_transaction_session_timeout";
    if (leaseTtlMs !== undefined && !url.searchParams.has(idle)) {
      url.searchParams.set(
        idle,
        String(Math.max(100, Math.floor(leaseTtlMs / 2))),
      );
    }
    return {
      definitions,
      checkpointStore: { type: "postgres", url: url.href } as StoreConfig,
      where: `PostgreSQL ${redactedUrl(spec)}`,
    };
  }
  if (/^(nats|tls):\/\//.test(spec)) {
    const { url, params } = natsSpec(spec, "--store", ["stream", "bucket"]);
    const definition = registry.get("definitionStore", "jetstream")!;
    const definitions = await definition.create(
      {
        url,
        ...params.replicas,
        ...(params.stream === undefined ? {} : { stream: params.stream }),
      } as never,
      { baseUrl, signal },
    ) as DefinitionStore;
    return {
      definitions,
      checkpointStore: {
        type: "nats-kv",
        url,
        ...params.replicas,
        ...(params.bucket === undefined ? {} : { bucket: params.bucket }),
      } as StoreConfig,
      where: `NATS ${url.map(redactedUrl).join(",")} (JetStream and KV)`,
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new UsageError(
      `ca serve: --store must be memory, a directory, a postgres:// or a nats:// URL, got ${
        JSON.stringify(spec)
      }`,
      "serve",
    );
  }
  const dir = resolvePath(root, spec);
  const definition = registry.get("definitionStore", "file")!;
  const definitions = await definition.create(
    { path: `${dir}/definitions.log` } as never,
    { baseUrl, signal },
  ) as DefinitionStore;
  return {
    definitions,
    checkpointStore: { type: "file", dir: `${dir}/checkpoints` } as StoreConfig,
    where: `the directory ${dir}`,
  };
}

/** A URL to print: its password hidden. */
function redactedUrl(spec: string): string {
  const url = new URL(spec);
  if (url.password !== "") url.password = "***";
  return url.href;
}

/**
 * A NATS `--store` or `--cluster`: one or more servers, comma-separated
 * (`nats://a:4222,b:4222`: a bare `host:port` is `nats://`), and the query
 * parameters `replicas` and those of `names` (`?replicas=3&bucket=leases`),
 * taken from whichever URL carries them.
 */
function natsSpec(
  spec: string,
  flag: string,
  names: readonly string[],
): {
  url: string[];
  params: { replicas: { replicas?: number } } & Record<string, string>;
} {
  const url: string[] = [];
  const params: Record<string, string> = {};
  for (const part of spec.split(",").map((part) => part.trim())) {
    const text = part.includes("://") ? part : `nats://${part}`;
    if (!URL.canParse(text)) {
      throw new UsageError(
        `ca serve: ${flag} must be nats:// URLs separated by commas, got ${
          JSON.stringify(part)
        }`,
        "serve",
      );
    }
    const parsed = new URL(text);
    for (const [key, value] of parsed.searchParams) {
      if (key !== "replicas" && !names.includes(key)) {
        throw new UsageError(
          `ca serve: ${flag} takes the query parameters ${
            ["replicas", ...names].join(", ")
          }, got ${JSON.stringify(key)}`,
          "serve",
        );
      }
      params[key] = value;
    }
    parsed.search = "";
    url.push(parsed.href.replace(/\/$/, ""));
  }
  const replicas = params.replicas;
  if (replicas !== undefined && !/^[1-5]$/.test(replicas)) {
    throw new UsageError(
      `ca serve: ${flag}'s replicas must be 1 to 5, got ${
        JSON.stringify(replicas)
      }`,
      "serve",
    );
  }
  return {
    url,
    params: {
      ...params,
      replicas: replicas === undefined ? {} : { replicas: Number(replicas) },
    } as { replicas: { replicas?: number } } & Record<string, string>,
  };
}

/** The lease engine of `--cluster`, from the registry by the URL's scheme. */
async function openLeaseEngine(
  spec: string,
  ttlMs: number,
  signal: AbortSignal,
): Promise<LeaseEngine> {
  const type = /^postgres(ql)?:\/\//.test(spec)
    ? "postgres"
    : /^(nats|tls):\/\//.test(spec)
    ? "nats"
    : undefined;
  if (type === undefined) {
    throw new UsageError(
      `ca serve: --cluster must be a postgres:// or nats:// URL (the lease engine the hosts share), got ${
        JSON.stringify(spec)
      }`,
      "serve",
    );
  }
  const definition = defaultRegistry().get("leaseEngine", type)!;
  if (type === "nats") {
    const { url, params } = natsSpec(spec, "--cluster", ["bucket"]);
    return await definition.create(
      {
        url,
        ttlMs,
        ...params.replicas,
        ...(params.bucket === undefined ? {} : { bucket: params.bucket }),
      } as never,
      { baseUrl: "file:///", signal },
    ) as LeaseEngine;
  }
  return await definition.create(
    { url: spec, ttlMs } as never,
    { baseUrl: "file:///", signal },
  ) as LeaseEngine;
}

/**
 * `ca serve`: a connector host on `--port`, its definitions (as events)
 * and checkpoints in `--store`, the tokens from `CA_ADMIN_TOKEN` and
 * `CA_VIEWER_TOKEN`. SIGINT or SIGTERM stops every connector gracefully
 * (their checkpoints committed; they start again with the next `ca
 * serve`), then the server; exit 0.
 *
 * @param settings The options as given.
 * @param runtime The runtime services.
 * @returns The exit code.
 */
export async function serveCommand(
  settings: ServeSettings,
  runtime: CliRuntime,
): Promise<number> {
  const { log } = settings;
  const env = runtime.env();
  const admin = env.CA_ADMIN_TOKEN ?? "";
  const viewer = env.CA_VIEWER_TOKEN ?? "";
  if (admin === "") {
    log.write(
      "error",
      "error",
      "ca serve: cannot start: set CA_ADMIN_TOKEN (and CA_VIEWER_TOKEN for read-only access) to the tokens clients send as Authorization: Bearer <token>",
    );
    return EXIT_CODES.config;
  }
  for (
    const [name, token] of [["CA_ADMIN_TOKEN", admin], [
      "CA_VIEWER_TOKEN",
      viewer,
    ]]
  ) {
    if (token !== "" && token.length < 16) {
      log.write(
        "error",
        "error",
        `ca serve: cannot start: ${name} must be at least 16 characters long (a random token, such as openssl rand -hex 24 prints)`,
      );
      return EXIT_CODES.config;
    }
  }
  const root = resolvePath(runtime.cwd(), settings.root ?? ".");
  const allowModules = settings.allowModules === undefined
    ? undefined
    : resolvePath(runtime.cwd(), settings.allowModules);
  const closing = new AbortController();
  let stores;
  try {
    stores = await openStores(
      settings.store ?? resolvePath(root, DEFAULT_STORE),
      root,
      closing.signal,
      settings.cluster === undefined
        ? undefined
        : settings.leaseTtlMs ?? 10_000,
    );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    log.write(
      "error",
      "error",
      `ca serve: cannot open the store: ${(error as Error)?.message ?? error}`,
    );
    return EXIT_CODES.runner;
  }
  let leases: LeaseEngine | undefined;
  if (settings.cluster !== undefined) {
    try {
      leases = await openLeaseEngine(
        settings.cluster,
        settings.leaseTtlMs ?? 10_000,
        closing.signal,
      );
    } catch (error) {
      await stores.definitions.close();
      if (error instanceof UsageError) throw error;
      log.write(
        "error",
        "error",
        `ca serve: cannot open the lease engine: ${
          (error as Error)?.message ?? error
        }`,
      );
      return EXIT_CODES.runner;
    }
  }
  const hostId = settings.hostId ??
    `host-${crypto.randomUUID().slice(0, 8)}`;
  // The host is made once the server listens (its URL is then known, the
  // port too when it was 0); no request is answered before.
  const made: { host?: ConnectorHost } = {};
  let server;
  try {
    server = await serveNode((request) => made.host!.fetch(request), {
      port: settings.port,
      hostname: settings.hostname,
    });
  } catch (error) {
    await leases?.close();
    await stores.definitions.close();
    log.write(
      "error",
      "error",
      `ca serve: cannot listen on ${settings.hostname}:${settings.port}: ${
        (error as Error)?.message ?? error
      }`,
    );
    return EXIT_CODES.runner;
  }
  const host = made.host = connectorHost({
    definitions: stores.definitions,
    ...(leases === undefined ? {} : {
      cluster: {
        leases,
        hostId,
        labels: settings.labels ?? [],
        url: server.url.href,
      },
    }),
    root,
    ...(allowModules === undefined ? {} : { allowModules }),
    ...(stores.checkpointStore === undefined
      ? {}
      : { checkpointStore: stores.checkpointStore }),
    runnerEntry: settings.runnerEntry,
    tokens: { admin: [admin], viewer: viewer === "" ? [] : [viewer] },
    clusterLog: (level, message) =>
      log.write(level, "serve", `ca serve: ${message}`),
  });
  // GET /connectors/{id}/tap: WebSocket upgrades of the same server.
  const taps = serveTaps(server.server, host);
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => stop = resolve);
  const stopListening = runtime.onStopSignal((signal) => stop(signal));
  log.write(
    "info",
    "serve",
    `ca serve: listening on ${server.url.href} (${runtime.name} ${runtime.version}); definitions and checkpoints in ${stores.where}; relative paths from ${root}${
      settings.cluster === undefined
        ? ""
        : `; in the cluster of ${
          settings.cluster.split(",").map((part) =>
            URL.canParse(part) ? redactedUrl(part) : part
          ).join(",")
        } as host ${hostId}`
    }`,
    { url: server.url.href, root },
  );
  try {
    await host.start();
    log.write("info", "serve", "ca serve: ready");
    const signal = await stopped;
    log.write(
      "info",
      "signal",
      `ca serve: ${signal}: stopping every connector gracefully`,
    );
    await host.stop();
  } finally {
    stopListening();
    taps.close();
    await server.close();
    await leases?.close();
    closing.abort();
    await stores.definitions.close();
  }
  log.write("info", "serve", "ca serve: stopped");
  return EXIT_CODES.ok;
}
