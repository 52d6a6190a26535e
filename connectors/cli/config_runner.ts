// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import type { ConfigIssue } from "../../src/config/config_issue.ts";
import { parsePipelineConfig } from "../../src/config/parse_pipeline_config.ts";
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import { Registry } from "../../src/config/registry.ts";
import { substituteEnv } from "../../src/config/substitute_env.ts";
import { validateArgs } from "../../src/config/validate_args.ts";
import type {
  ConnectorFailure,
  ConnectorProgress,
  ConnectorRunner,
  RunningConnector,
} from "../../src/host/connector_runner.ts";
import { isWithin, toPointer } from "../../src/util/json_pointer.ts";
import { type CliLog, cliLog } from "./cli_log.ts";
import { loadCliRuntime } from "./cli_runtime.ts";
import { ConfigRun, type ConfigRunFailure } from "./config_run.ts";
import { defaultRegistry } from "./default_registry.ts";
import { errorLine } from "./error_line.ts";
import { exitCodeOf } from "./exit_code_of.ts";
import { EXIT_CODES } from "./exit_codes.ts";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { loadConfigText, type LoadedConfig } from "./load_config.ts";
import type { OpenStoreOptions } from "./open_store.ts";
import { leaseGuardedStore } from "./lease_guarded_store.ts";
import { SharedStores } from "./shared_stores.ts";

/**
 * Options for {@linkcode configRunner}.
 *
 * @example Refuse modules outside a directory
 * ```ts
 * import { configRunner } from "@ca/streams/host";
 * import type { ConfigRunnerOptions } from "@ca/streams/host";
 *
 * const options: ConfigRunnerOptions = {
 *   root: "/srv/connectors",
 *   allowModules: "/srv/connectors/modules",
 *   checkpointStore: { type: "memory" },
 *   env: {},
 * };
 * const issues = await configRunner(options).check({
 *   id: "numbers",
 *   modules: ["./elsewhere/processors.ts"],
 *   runners: { main: { runtime: "deno" } },
 *   processors: [
 *     { name: "numbers", use: "generate", args: { count: 3 } },
 *     { name: "out", use: "console-sink" },
 *   ],
 * });
 * if (issues[0]?.path !== "/modules/0") throw new Error("expected a refusal");
 * ```
 */
export interface ConfigRunnerOptions {
  /**
   * The directory relative paths in configs are relative to (as a config
   * file's directory is for `ca run`); relative to the working directory.
   */
  root: string;
  /**
   * A directory of modules: a config may then name `modules:`, a runner's
   * `executable:` and a Python runner's `script:`, but only inside it.
   * Without it, a config that names any of them is refused.
   */
  allowModules?: string;
  /**
   * The checkpoint store of a connector whose config names none
   * (`checkpoint.store`): a store config from the registry, such as
   * `{ type: "file", dir: "/var/lib/ca/checkpoints" }`.
   */
  checkpointStore?: StoreConfig;
  /**
   * The environment `${NAME}` in configs refers to, and that names the
   * runtimes' executables (`CA_DENO`, `CA_NODE`, `CA_PYTHON`, `PATH`);
   * default the process's.
   */
  env?: Record<string, string | undefined>;
  /**
   * The definitions configs may name; default `defaultRegistry()`. Each
   * config gets a copy, which its modules add to.
   */
  registry?: Registry;
  /**
   * The child runner program, a `file:` URL; default `runner_main` beside
   * the `ca` command's modules.
   */
  runnerEntry?: string;
  /**
   * Where the lines about child runners go: their "running" lines and what
   * they write to stderr, each line naming the connector (`text`, and
   * `fields.connector`); default text lines on stderr, as `ca` writes
   * them.
   */
  log?: {
    write(
      level: "info" | "error",
      event: string,
      text: string,
      fields?: Record<string, unknown>,
    ): void;
  };
  /**
   * Count for the metrics (default true): records out of each stage, sink
   * batch write times, checkpoint commits and uncommitted records, through
   * a per-batch counter after each processor, a timer on each sink and an
   * observer on the checkpoint store. With false the runners in this
   * process put none of them in, so a pipeline runs exactly as `ca run`
   * would run it without counting, and a connector reports only records
   * read and written, its position and its connection health (the host's
   * `GET /metrics` then has no per-stage, sink or commit series for it).
   * Runners of another runtime, in child processes, count as always, but
   * what they count is left out as well. For measuring what the metrics
   * cost (`npm run bench:host`).
   */
  metrics?: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A directory as a `file:` URL ending in `/`. */
function directoryUrl(path: string, cwd: string): string {
  const base = new URL(`file://${cwd.endsWith("/") ? cwd : `${cwd}/`}`);
  return new URL(path.endsWith("/") ? path : `${path}/`, base).href;
}

/** The names of the `${NAME}` references in a value's strings. */
function referencedNames(value: unknown, names = new Set<string>()) {
  if (typeof value === "string") {
    const text = value.replaceAll("$${", "");
    for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
      names.add(match[1]!);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) referencedNames(item, names);
  } else if (isObject(value)) {
    for (const item of Object.values(value)) referencedNames(item, names);
  }
  return names;
}

/** A copy of a registry, so that a config's modules add to the copy only. */
function copyOf(registry: Registry): Registry {
  const copy = new Registry();
  for (const definition of registry.list()) {
    copy.add(definition, registry.origin(definition));
  }
  return copy;
}

/** A failure as the host sees it. */
function connectorFailure(failure: ConfigRunFailure): ConnectorFailure {
  return {
    code: failure.code,
    message: failure.message,
    transient: failure.transient,
  };
}

/** Why a connector could not be loaded: its config (2), or else (3). */
function loadFailure(error: unknown): ConnectorFailure {
  const exitCode = exitCodeOf(error, EXIT_CODES.runner);
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === "string" && code.startsWith("CA_ERR_")
      ? code
      : "CA_ERR_CONNECTOR",
    message: errorLine(error),
    transient: exitCode !== EXIT_CODES.config,
  };
}

/** An error that carries a failure, for `started`. */
function failureError(failure: ConnectorFailure): Error {
  return Object.assign(new Error(failure.message), {
    code: failure.code,
    failure,
  });
}

/**
 * A {@linkcode ConnectorRunner} that runs connector configs as `ca run`
 * runs a config file: the runners of this runtime in this process, the
 * others as child processes, wired by their channels. A connector's config
 * is checked as `ca validate` checks a file; it is refused when it names
 * `modules:`, a runner's `executable:` or a `script:` outside
 * `allowModules` (or at all, without it). Its `${NAME}` references are
 * resolved from `env` when it starts, never stored. The connector's id is
 * its config's `id`, and so its checkpoint id; a config without a
 * `checkpoint.store` gets `checkpointStore`, when given. The runners of
 * every connector in this process share one opened store per identical
 * store config (one PostgreSQL client for all of them), closed when the
 * last of them ends.
 *
 * `remove` (on delete) calls the `remove` of each processor definition of
 * the config that has one (a `postgres-change-source` drops its
 * replication slot), then deletes the connector's checkpoints, so a
 * connector created again with the same id starts from the beginning.
 *
 * A connector that fails because of its config (bad args, a missing
 * package, a module that does not load, an unset variable) fails with
 * `transient: false`; any other failure (a processor that fails, a store
 * or server that cannot be reached, a runner that crashes) is transient.
 *
 * @param options The root directory of relative paths, and optionally the
 * directory of allowed modules, the default checkpoint store, the
 * environment, the runtime, the registry, the child runner, the log and
 * whether to count for the metrics.
 * @returns The runner.
 *
 * @example Check a config, run it to its end, and rerun it from the start
 * ```ts
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { configRunner } from "@ca/streams/host";
 *
 * const root = await mkdtemp(join(tmpdir(), "ca-host-"));
 * try {
 *   const runner = configRunner({
 *     root,
 *     checkpointStore: { type: "file", dir: "checkpoints" },
 *   });
 *   const config = {
 *     id: "numbers",
 *     runners: { main: { runtime: "Deno" in globalThis ? "deno" : "node" } },
 *     processors: [
 *       { name: "numbers", use: "generate", args: { count: 3 } },
 *       { name: "out", use: "file-sink", args: { path: "out.ndjson" } },
 *     ],
 *   };
 *   const issues = await runner.check(config);
 *   if (issues.length > 0) throw new Error(issues[0]!.message);
 *   const running = runner.start("numbers", config);
 *   const failure = await running.ended;
 *   if (failure || running.progress().recordsWritten !== 3) throw new Error("unexpected");
 *   await runner.reset("numbers", config, undefined); // the next run starts over
 *   await runner.start("numbers", config).ended;
 *   const lines = (await readFile(join(root, "out.ndjson"), "utf8")).trim().split("\n");
 *   if (lines.length !== 6) throw new Error(`unexpected ${lines.length}`);
 * } finally {
 *   await rm(root, { recursive: true });
 * }
 * ```
 */
export function configRunner(options: ConfigRunnerOptions): ConnectorRunner {
  if (!isObject(options) || typeof options.root !== "string") {
    throw new TypeError(
      "Cannot create a config runner: options.root must be a directory",
    );
  }
  if (
    options.allowModules !== undefined &&
    typeof options.allowModules !== "string"
  ) {
    throw new TypeError(
      "Cannot create a config runner: options.allowModules must be a directory",
    );
  }
  const store = options.checkpointStore;
  if (
    store !== undefined && !(isObject(store) && typeof store.type === "string")
  ) {
    throw new TypeError(
      'Cannot create a config runner: options.checkpointStore must be a store config such as { type: "file", dir: "checkpoints" }',
    );
  }
  if (options.metrics !== undefined && typeof options.metrics !== "boolean") {
    throw new TypeError(
      `Cannot create a config runner: options.metrics must be a boolean, got ${typeof options
        .metrics}`,
    );
  }
  const metrics = options.metrics ?? true;
  // One opened store per identical store config, shared by the runners of
  // every connector in this process: 20 connectors on one PostgreSQL store
  // keep one client, not 20. Each connector's ids still fence it.
  const stores = new SharedStores();
  const openShared = (config: StoreConfig, options: OpenStoreOptions) =>
    stores.open(config, options);
  const setup = (async () => {
    const runtime = await loadCliRuntime();
    const cwd = runtime.cwd();
    return {
      runtime,
      cwd,
      baseUrl: directoryUrl(options.root, cwd),
      allowed: options.allowModules === undefined
        ? undefined
        : directoryUrl(options.allowModules, cwd),
      env: options.env ?? runtime.env(),
      log: options.log ?? cliLog(runtime, "text"),
    };
  })();
  setup.catch(() => {}); // each method awaits it
  const registry = () =>
    options.registry ? copyOf(options.registry) : defaultRegistry();
  const runnerEntry = options.runnerEntry ??
    new URL(
      `../cli/runner_main${import.meta.url.endsWith(".js") ? ".js" : ".ts"}`,
      import.meta.url,
    ).href;

  /** The config as it runs: its id set, the host's store when it has none. */
  function prepared(config: Json, id?: string): Json {
    const copy = structuredClone(config);
    if (id !== undefined) copy.id = id;
    if (store !== undefined) {
      const checkpoint = copy.checkpoint;
      if (checkpoint === undefined) copy.checkpoint = { store: { ...store } };
      else if (isObject(checkpoint) && checkpoint.store === undefined) {
        copy.checkpoint = { ...checkpoint, store: { ...store } };
      }
    }
    return copy;
  }

  /**
   * The modules, executables and scripts the config names that this host
   * does not run: any without `allowModules`, else those outside it.
   */
  function refused(
    config: Json,
    context: Awaited<typeof setup>,
  ): ConfigIssue[] {
    const { value, issues } = substituteEnv(config, context.env);
    const unresolved = issues.map((issue) => issue.path);
    const named: { path: string; what: string; url: () => string }[] = [];
    const data = isObject(value) ? value : {};
    if (Array.isArray(data.modules)) {
      data.modules.forEach((specifier: unknown, index) => {
        if (typeof specifier !== "string") return;
        named.push({
          path: `/modules/${index}`,
          what: `module ${JSON.stringify(specifier)}`,
          url: () => new URL(specifier, context.baseUrl).href,
        });
      });
    }
    if (isObject(data.runners)) {
      for (const [name, runner] of Object.entries(data.runners)) {
        if (!isObject(runner)) continue;
        const { executable, script } = runner;
        if (typeof executable === "string") {
          named.push({
            path: toPointer(["runners", name, "executable"]),
            what: `executable ${JSON.stringify(executable)}`,
            // As a child process finds it: absolute, else from the
            // working directory; a bare name is looked up on PATH.
            url: () =>
              executable.includes("/")
                ? new URL(executable, directoryUrl(".", context.cwd)).href
                : "",
          });
        }
        if (typeof script === "string") {
          named.push({
            path: toPointer(["runners", name, "script"]),
            what: `script ${JSON.stringify(script)}`,
            url: () => new URL(script, context.baseUrl).href,
          });
        }
      }
    }
    const found: ConfigIssue[] = [];
    for (const { path, what, url } of named) {
      if (context.allowed === undefined) {
        found.push({
          path,
          message:
            `refused: this host runs registered definitions only, not a ${what} (a host started with --allow-modules DIR runs those inside DIR)`,
        });
        continue;
      }
      if (unresolved.some((pointer) => isWithin(path, pointer))) {
        found.push({
          path,
          message:
            `refused: the ${what} needs an environment variable that is not set, so it cannot be told to be inside the allowed directory`,
        });
        continue;
      }
      let href = "";
      try {
        href = url();
      } catch {
        // not a URL: not inside
      }
      if (!href.startsWith(context.allowed)) {
        found.push({
          path,
          message: `refused: the ${what} is not inside ${
            decodeURIComponent(new URL(context.allowed).pathname)
          }, the directory this host allows modules from`,
        });
      }
    }
    return found;
  }

  /**
   * Loads a config to run it (instance `index` of `count`: under the
   * pipeline id `ID.index` when there are several), or throws a
   * `ConfigError`.
   */
  async function load(
    config: Json,
    id: string,
    instance: Instance = { index: 0, count: 1 },
  ): Promise<LoadedConfig> {
    const context = await setup;
    const candidate = prepared(config, instanceId(id, instance));
    const refusals = refused(candidate, context);
    if (refusals.length > 0) throw new ConfigError(refusals);
    return await loadConfigText(JSON.stringify(candidate), context.runtime, {
      file: id,
      baseUrl: context.baseUrl,
      env: instanceEnv(context.env, instance),
      registry: registry(),
    });
  }

  /** Every instance of a connector: one, or `parallelism` of them. */
  function instancesOf(config: Json): Instance[] {
    const count = parallelismOf(config);
    return Array.from({ length: count }, (_, index) => ({ index, count }));
  }

  /** Resets one instance's checkpoints (see `reset`). */
  async function resetInstance(
    id: string,
    config: Json,
    position: Position | undefined,
    instance: Instance,
  ): Promise<void> {
    const loaded = await load(config, id, instance);
    if (loaded.config.checkpoint === undefined) {
      throw new ConfigError([{
        path: "/checkpoint",
        message:
          "cannot reset the connector: it has no checkpoint store (its config names none, and the host has none)",
      }]);
    }
    const ids = checkpointIds(loaded);
    let positions: [string, Position | undefined][];
    if (position === undefined || ids.length === 1) {
      positions = ids.map((segment) => [segment, position]);
    } else if (
      isObject(position) && Object.keys(position).length > 0 &&
      Object.keys(position).every((key) => ids.includes(key))
    ) {
      positions = Object.entries(position);
    } else {
      throw new RangeError(
        `Cannot reset connector ${id}: it has a checkpoint per segment (${
          ids.join(", ")
        }), so the position must be an object of positions by those ids, got ${
          JSON.stringify(position)
        }`,
      );
    }
    await withCheckpoints(loaded, async (opened) => {
      for (const [segment, at] of positions) {
        if (at === undefined) await opened.delete(segment);
        else {
          const { generation } = await opened.acquire(segment);
          await opened.commit(segment, at, generation);
        }
      }
    });
  }

  /** The checkpoint ids of a loaded config's segments. */
  function checkpointIds(loaded: LoadedConfig): string[] {
    return loaded.plans.flatMap((plan) =>
      plan.checkpoint ? plan.segments.map((segment) => segment.id) : []
    );
  }

  /**
   * Opens a loaded config's checkpoint store (nothing when it has none),
   * gives it and the checkpoint ids to `use`, and closes it.
   */
  async function withCheckpoints(
    loaded: LoadedConfig,
    use: (store: CheckpointStore, ids: string[]) => Promise<void>,
  ): Promise<void> {
    const checkpoint = loaded.config.checkpoint;
    if (checkpoint === undefined) return;
    const opened = await openShared(checkpoint.store, {
      registry: loaded.registry,
      pipelineId: loaded.config.id,
      baseUrl: loaded.baseUrl,
    });
    try {
      await use(opened, checkpointIds(loaded));
    } finally {
      await opened.close?.();
    }
  }

  /** Acquires one instance's checkpoints (see `fence`). */
  async function fenceInstance(
    id: string,
    config: Json,
    instance: Instance,
  ): Promise<void> {
    await withCheckpoints(
      await load(config, id, instance),
      async (opened, ids) => {
        for (const segment of ids) await opened.acquire(segment);
      },
    );
  }

  /** Removes what one instance keeps (see `remove`). */
  async function removeInstance(
    id: string,
    config: Json,
    instance: Instance,
  ): Promise<void> {
    const loaded = await load(config, id, instance);
    // What its processors keep on their systems (a replication slot)
    // first: when that fails, its checkpoints are still there too.
    for (const processor of loaded.config.processors) {
      if (loaded.config.runners[processor.runner]?.runtime === "python") {
        continue;
      }
      const definition = loaded.registry.processor(processor.use);
      if (definition?.remove === undefined) continue;
      const result = await validateArgs(definition, processor.args, {
        path: `/processors/${processor.name}/args`,
      });
      if (!result.ok) throw new ConfigError(result.issues);
      await definition.remove(result.value, {
        name: processor.name,
        pipelineId: loaded.config.id,
        baseUrl: loaded.baseUrl,
        signal: new AbortController().signal,
      });
    }
    // Then its checkpoints, as a reset to the start removes them.
    await withCheckpoints(loaded, async (opened, ids) => {
      for (const segment of ids) await opened.delete(segment);
    });
  }

  return {
    async check(config) {
      if (!isObject(config)) {
        return [{ path: "", message: "expected a config object" }];
      }
      const context = await setup;
      const candidate = prepared(config);
      const refusals = refused(candidate, context);
      // Variables unset now may be set where it starts: check the rest,
      // with them empty, and leave the values they make to the start.
      const unset = substituteEnv(candidate, context.env).issues
        .filter((issue) => issue.received === "unset")
        .map((issue) => issue.path);
      const env = instanceEnv(context.env, {
        index: 0,
        count: parallelismOf(candidate),
      });
      for (const name of referencedNames(candidate)) env[name] ??= "";
      const text = JSON.stringify(candidate);
      let issues: ConfigIssue[] = [];
      try {
        // Refused: nothing is imported or executed, only the structure read.
        if (refusals.length > 0) await parsePipelineConfig(text, { env });
        else {
          await loadConfigText(text, context.runtime, {
            baseUrl: context.baseUrl,
            env,
            registry: registry(),
          });
        }
      } catch (error) {
        issues = error instanceof ConfigError
          ? error.issues
          : [{ path: "", message: errorLine(error) }];
      }
      return [
        ...refusals,
        ...issues.filter((issue) =>
          !unset.some((pointer) => isWithin(issue.path, pointer))
        ),
      ];
    },

    start(id, config, startContext = {}): RunningConnector {
      const { holdsLease, instance } = startContext;
      // In a cluster: no commit once the host lost the connector's lease.
      const openStore: typeof openShared = holdsLease === undefined
        ? openShared
        : async (config, options) =>
          leaseGuardedStore(await openShared(config, options), holdsLease);
      let run: ConfigRun | undefined;
      // Asked before the run exists: it stops or aborts once started.
      const asked: { stop?: boolean; abort?: { reason: unknown } } = {};
      /** Stops or aborts a run as asked while it was starting. */
      const follow = (run: ConfigRun) => {
        if (asked.abort) void run.abort(asked.abort.reason);
        else if (asked.stop) void run.stop();
      };
      const launching = (async () => {
        const context = await setup;
        const loaded = await load(config, id, instance);
        if (asked.stop || asked.abort) return undefined;
        const base = context.log;
        const log: CliLog = {
          format: "text",
          write: (level, event, text, fields = {}) =>
            base.write(
              level,
              event,
              `ca: connector ${id}: ${text.replace(/^ca: /, "")}`,
              { connector: id, ...fields },
            ),
        };
        run = await ConfigRun.start(loaded, {
          runtime: context.runtime,
          runnerEntry,
          log,
          env: context.env,
          openStore,
          metrics,
        });
        follow(run);
        return run;
      })();
      const ended: Promise<ConnectorFailure | undefined> = launching.then(
        async (run) => {
          const failure = await run?.ended;
          return failure && connectorFailure(failure);
        },
        loadFailure,
      );
      const started = launching.then((run) => run?.started).catch(
        async () => {
          const failure = await ended;
          throw failureError(
            failure ?? {
              code: "CA_ERR_CONNECTOR",
              message: `connector ${id} did not start`,
              transient: true,
            },
          );
        },
      );
      started.catch(() => {}); // a caller may only await `ended`
      return {
        started,
        ended,
        async stop() {
          asked.stop = true;
          await run?.stop();
          await ended;
        },
        async abort(reason?: unknown) {
          asked.abort ??= { reason };
          await run?.abort(reason);
          await ended;
        },
        tap(stage, listener) {
          if (run === undefined) {
            throw new Error(
              `Cannot tap stage "${stage}" of connector ${id}: it has not started`,
            );
          }
          return run.tap(stage, listener);
        },
        progress(): ConnectorProgress {
          if (run === undefined) {
            return {
              recordsRead: 0,
              recordsWritten: 0,
              recordsDeadLettered: 0,
              position: undefined,
            };
          }
          const now = run.progress();
          const ids = Object.keys(now.positions);
          const progress: ConnectorProgress = {
            recordsRead: now.recordsRead,
            recordsWritten: now.recordsWritten,
            recordsDeadLettered: now.recordsDeadLettered,
            position: ids.length === 1
              ? now.positions[ids[0]!]
              : ids.length === 0
              ? undefined
              : now.positions,
            ...(metrics
              ? {
                stages: now.stages,
                sinks: now.sinkWrites,
                commits: now.commits,
              }
              : {}),
            health: now.health,
          };
          if (now.uncommittedRecords !== undefined) {
            progress.uncommittedRecords = now.uncommittedRecords;
          }
          if (now.lastCommitAt !== undefined) {
            progress.lastCommitAt = new Date(now.lastCommitAt).toISOString();
          }
          return progress;
        },
      };
    },

    async reset(id, config, position: Position | undefined) {
      for (const instance of instancesOf(config)) {
        await resetInstance(id, config, position, instance);
      }
    },

    async fence(id, config, context = {}) {
      for (
        const instance of context.instance === undefined
          ? instancesOf(config)
          : [context.instance]
      ) {
        await fenceInstance(id, config, instance);
      }
    },

    async remove(id, config) {
      for (const instance of instancesOf(config)) {
        await removeInstance(id, config, instance);
      }
    },
  };
}

/** One instance of a connector: its index, and how many there are. */
interface Instance {
  index: number;
  count: number;
}

/** A config's `parallelism` (1 when absent or not a whole number). */
function parallelismOf(config: Json): number {
  const value = config.parallelism;
  return typeof value === "number" && Number.isInteger(value) && value > 1
    ? value
    : 1;
}

/** The pipeline id of an instance: the connector's, or `ID.index` when it has several. */
function instanceId(id: string, instance: Instance): string {
  return instance.count > 1 ? `${id}.${instance.index}` : id;
}

/** The environment of an instance: `CA_INSTANCE` and `CA_INSTANCES` set. */
function instanceEnv(
  env: Record<string, string | undefined>,
  instance: Instance,
): Record<string, string | undefined> {
  return {
    ...env,
    CA_INSTANCE: String(instance.index),
    CA_INSTANCES: String(instance.count),
  };
}
