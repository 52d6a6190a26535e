// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";
import {
  ClusterMember,
  type ClusterView,
  parseObject,
} from "../cluster/_cluster_member.ts";
import { planPlacement } from "../cluster/_plan_placement.ts";
import type { LeaseInfo } from "../cluster/lease_engine.ts";
import type { ConfigIssue } from "../config/config_issue.ts";
import { decodeConfigText } from "../config/decode_config_text.ts";
import type { DefinitionEvent } from "../definition_store/definition_event.ts";
import type { DefinitionStore } from "../definition_store/definition_store.ts";
import { WrongExpectedVersionError } from "../definition_store/wrong_expected_version_error.ts";
import { describeError } from "../errors/describe_error.ts";
import { describeValue } from "../util/describe_value.ts";
import { BearerTokens, type Role } from "./_bearer_tokens.ts";
import { canonicalJson } from "./_canonical_json.ts";
import {
  foldDefinitionEvents,
  type FoldedDefinition,
} from "./_fold_definition_events.ts";
import { HostError } from "./_host_error.ts";
import { KeyedQueue } from "./_keyed_queue.ts";
import { metricsText } from "./_metrics_text.ts";
import { ProgressTotals } from "./_progress_totals.ts";
import { RateMeter } from "./_rate_meter.ts";
import { readBody } from "./_read_body.ts";
import { answerTapRequest } from "./_tap_request.ts";
import { tapConnector } from "./_tap_stream.ts";
import { toFailure } from "./_to_failure.ts";
import type { ConnectorDetails } from "./connector_details.ts";
import type { ConnectorHostOptions } from "./connector_host_options.ts";
import type {
  ConnectorFailure,
  ConnectorProgress,
  ConnectorRunner,
  RunningConnector,
} from "./connector_runner.ts";
import type { ConnectorStartContext } from "./connector_start_context.ts";
import type { ConnectorState } from "./connector_state.ts";
import { CONNECTOR_STATES } from "./connector_states.ts";
import type { ConnectorStatus } from "./connector_status.ts";
import { statusPage } from "./status_page.ts";
import type { TapMessage } from "./tap_message.ts";
import type { TapOptions } from "./tap_options.ts";
import type { TapUpgrade } from "./tap_upgrade.ts";

/** A connector id: as a pipeline config's `id`. */
const ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
const JSON_TYPES = ["application/json"];
const CONFIG_TYPES = [
  "application/json",
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
  "text/x-yaml",
];
const MiB = 1024 * 1024;

/** One start of a connector's pipeline(s). */
interface Run {
  connector: RunningConnector;
  /** Set once the host stops or aborts it itself: its end is then no failure to handle. */
  stopping: boolean;
}

/** A connector as the host keeps it. */
interface Slot {
  id: string;
  /** Its stream's version: the expected version of its next event. */
  version: number;
  config: Record<string, unknown>;
  enabled: boolean;
  state: ConnectorState;
  error: { code: string; message: string } | null;
  updatedAt: string;
  run: Run | undefined;
  /** The pending recovery restart. */
  recovery: { timer: ReturnType<typeof setTimeout> } | undefined;
  /** When it failed transiently, within the retry window, in ms. */
  failures: number[];
  restarts: number;
  /** The counters of its runs that ended. */
  totals: { read: number; written: number; deadLettered: number };
  /** The other counters of its runs that ended, for the metrics. */
  counters: ProgressTotals;
  position: unknown;
  meter: RateMeter;
  /** In a cluster: its lease when another host holds it, as last seen. */
  remote: LeaseInfo | undefined;
  /**
   * In a cluster, for a connector with `parallelism` above 1: its
   * instances, by index (each a slot keyed `ID#index`, with the
   * connector's config, enabled flag and version).
   */
  instances?: Map<number, Slot>;
  /** For an instance: the connector it belongs to, and its index. */
  parent?: Slot;
  index?: number;
  /** An instance whose pipeline finished: it keeps its lease, and is not started again here. */
  finished?: boolean;
}

/** What a route does for one method. */
interface Action {
  /** Whether it changes something: admin only. */
  change: boolean;
  handle(request: Request, id: string): Promise<Response>;
}

/** How many instances of a connector a cluster runs: its config's `parallelism`. */
function parallelismOf(config: Record<string, unknown>): number {
  const value = config.parallelism;
  return typeof value === "number" && Number.isInteger(value) && value > 1
    ? Math.min(value, 64)
    : 1;
}

/** The labels a host needs to run a connector: its config's `placement.labels`. */
function placementLabels(config: Record<string, unknown>): string[] {
  const placement = config.placement;
  const labels = isObject(placement) ? placement.labels : undefined;
  return Array.isArray(labels)
    ? labels.filter((label) => typeof label === "string")
    : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim()
    .toLowerCase();
}

function requireType(
  request: Request,
  types: readonly string[],
  doing: string,
): void {
  const type = mediaType(request);
  if (!types.includes(type)) {
    throw new HostError(
      "CA_ERR_HOST_UNSUPPORTED_MEDIA_TYPE",
      `Cannot ${doing}: the body must be ${types.join(" or ")}, got ${
        type === "" ? "no content-type" : JSON.stringify(type)
      }`,
    );
  }
}

function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function checkNumber(
  value: unknown,
  name: string,
  min: number,
  integer: boolean,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `Cannot create the connector host: ${name} must be a number, got ${
        describeValue(value)
      }`,
    );
  }
  if (value < min || (integer && !Number.isSafeInteger(value))) {
    throw new RangeError(
      `Cannot create the connector host: ${name} must be ${
        integer ? "an integer" : "a number"
      } of at least ${min}, got ${value}`,
    );
  }
}

/** Stops a run gracefully; aborts it when the graceful stop fails. */
async function stopRun(run: Run): Promise<void> {
  run.stopping = true;
  try {
    await run.connector.stop();
  } catch (error) {
    await run.connector.abort(error).catch(() => {});
  }
}

/** Waits until a run started or ended, whichever comes first. */
function settled(run: Run): Promise<void> {
  return Promise.race([
    run.connector.started.then(() => {}, () => {}),
    run.connector.ended.then(() => {}, () => {}),
  ]);
}

/**
 * Keeps many connectors and serves the web-standard `fetch` handler of
 * their management API. A connector is a pipeline config as `ca run` takes
 * it, its id the config's `id` (also its checkpoint id). What runs a
 * connector is the {@linkcode ConnectorRunner} given; every change of one
 * is an event appended to its stream in the {@linkcode DefinitionStore}
 * with the expected version, so of two concurrent changes only one wins
 * (the other gets 409 and the host reloads the connector), and a
 * restarted host rebuilds every connector from its events and starts the
 * enabled ones.
 *
 * The API (JSON in and out; errors as
 * `{ "error": { "code", "message", "issues"? } }`, codes in
 * {@linkcode HostErrorCode}):
 *
 * - `POST /connectors` `{ id, config, start? }` (config an object or
 *   YAML/JSON text; its `id` is set to `id` or must equal it) → 201 with the
 *   connector; 400 with `issues` when the config does not validate (nothing
 *   stored); 409 when the id exists.
 * - `GET /connectors` → 200 `{ connectors: ConnectorStatus[] }`;
 *   `GET /connectors/{id}` → 200 {@linkcode ConnectorDetails}; 404 for an
 *   unknown id.
 * - `PUT /connectors/{id}/config` (the config as `application/json` or
 *   `application/yaml`) → 200: stored, and a running connector restarts
 *   (stopped gracefully, started with the new config from its checkpoint).
 * - `POST /connectors/{id}/start`, `POST /connectors/{id}/stop` → 200 with
 *   the connector; idempotent. A start of a `degraded` connector tries
 *   again.
 * - `POST /connectors/{id}/reset` `{ position? }` (the start when absent or
 *   `null`) → 200; 409 unless `stopped`.
 * - `DELETE /connectors/{id}` → 204; 409 unless `stopped`. The runner's
 *   `remove`, when it has one, first removes what the connector keeps
 *   (its checkpoints, a replication slot); when that fails → 500 and the
 *   connector is kept, to be deleted again.
 * - `GET /connectors/{id}/history` → 200 `{ events: StoredDefinitionEvent[] }`.
 * - `GET /connectors/{id}/tap?stage=NAME&sample=N|N/s` → a WebSocket of
 *   the stage's sampled records (see {@linkcode ConnectorHost.tapRequest});
 *   426 as a plain request.
 * - `GET /healthz` → 200 `{ status: "ok" }` when the definition store
 *   answers, else 503; `GET /readyz` → 200 `{ status: "ready" }` once
 *   `start()` resolved, else 503; `GET /metrics` → the Prometheus text.
 *
 * Commands on one connector run one at a time in the order they came, so
 * any number of concurrent starts and stops leave one pipeline running or
 * none, as the last command said. A transient failure
 * (`ConnectorFailure.transient`) restarts the connector from its checkpoint
 * after a backoff (`recovering`); a config error, or too many failures
 * within the window, leave it `degraded`.
 *
 * @example Create, start and stop a connector over the API
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorRunner, RunningConnector } from "@ca/streams/host";
 *
 * // A runner whose connectors run until stopped and count nothing.
 * const runner: ConnectorRunner = {
 *   check: (config) =>
 *     Promise.resolve(Array.isArray(config.processors) ? [] : [{ path: "/processors", message: "required" }]),
 *   start(): RunningConnector {
 *     let end!: () => void;
 *     const ended = new Promise<undefined>((resolve) => (end = () => resolve(undefined)));
 *     const stop = () => (end(), ended.then(() => {}));
 *     return {
 *       started: Promise.resolve(),
 *       ended,
 *       stop,
 *       abort: stop,
 *       progress: () => ({ recordsRead: 0, recordsWritten: 0, recordsDeadLettered: 0, position: null }),
 *     };
 *   },
 *   reset: () => Promise.resolve(),
 * };
 * const host = new ConnectorHost({
 *   definitions: memoryDefinitionStore(),
 *   runner,
 *   tokens: { admin: ["admin-token"] },
 * });
 * await host.start();
 * const headers = { authorization: "Bearer admin-token", "content-type": "application/json" };
 * const created = await host.fetch(new Request("http://host/connectors", {
 *   method: "POST",
 *   headers,
 *   body: JSON.stringify({ id: "orders", config: "processors:\n  - use: generate\n", start: true }),
 * }));
 * if (created.status !== 201 || (await created.json()).state !== "running") throw new Error("unexpected");
 * const stopped = await host.fetch(new Request("http://host/connectors/orders/stop", { method: "POST", headers }));
 * if ((await stopped.json()).state !== "stopped") throw new Error("unexpected");
 * await host.stop();
 * ```
 */
export class ConnectorHost {
  #definitions: DefinitionStore;
  #runner: ConnectorRunner;
  #tokens: BearerTokens | undefined;
  #recovery: {
    initialDelayMs: number;
    maxDelayMs: number;
    maxRetries: number;
    windowMs: number;
  };
  #maxBodyBytes: number;
  #corsOrigin: string | undefined;
  #now: () => number;
  #slots = new Map<string, Slot>();
  #queue = new KeyedQueue();
  #starting: Promise<void> | undefined;
  #ready = false;
  #stopped = false;
  /** In a cluster: this host's leases. */
  #member: ClusterMember | undefined;
  #tickTimer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  /** The placement step under way, and whether another was asked for meanwhile. */
  #placing: Promise<void> | undefined;
  #placeAgain = false;
  /** Ends the runs when the leases run out before the loop renewed them (a hung call). */
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Connectors with a take, a handoff or a reload under way. */
  #busy = new Set<string>();
  /** Of those, the ones being taken. */
  #taking = new Set<string>();
  #view: ClusterView | undefined;
  #log: (level: "info" | "error", message: string) => void;

  /**
   * Makes a host; nothing runs until {@linkcode ConnectorHost.start}.
   *
   * @param options The definition store, the runner, and the optional
   * tokens, recovery, body limit, CORS origin and clock.
   * @throws {TypeError} When `definitions` or `runner` is missing, or an
   * option has the wrong type.
   * @throws {RangeError} When a number is out of range.
   */
  constructor(options: ConnectorHostOptions) {
    if (!isObject(options)) {
      throw new TypeError(
        `Cannot create the connector host: options must be an object, got ${
          describeValue(options)
        }`,
      );
    }
    const { definitions, runner, tokens, recovery = {}, cors } = options;
    for (
      const [name, value, methods] of [
        ["definitions", definitions, ["append", "read", "list"]],
        ["runner", runner, ["check", "start", "reset"]],
      ] as const
    ) {
      if (
        !isObject(value) ||
        methods.some((method) =>
          typeof (value as unknown as Record<string, unknown>)[method] !==
            "function"
        )
      ) {
        throw new TypeError(
          `Cannot create the connector host: ${name} must be an object with ${
            methods.join(", ")
          }, got ${describeValue(value)}`,
        );
      }
    }
    if (runner.remove !== undefined && typeof runner.remove !== "function") {
      throw new TypeError(
        `Cannot create the connector host: runner.remove must be a function when given, got ${
          describeValue(runner.remove)
        }`,
      );
    }
    if (tokens !== undefined) {
      for (const role of ["admin", "viewer"] as const) {
        const list = (tokens as Record<string, unknown>)[role];
        if (
          list !== undefined &&
          (!Array.isArray(list) ||
            list.some((token) => typeof token !== "string"))
        ) {
          throw new TypeError(
            `Cannot create the connector host: tokens.${role} must be an array of strings, got ${
              describeValue(list)
            }`,
          );
        }
      }
    }
    checkNumber(recovery.initialDelayMs, "recovery.initialDelayMs", 0, false);
    checkNumber(recovery.maxDelayMs, "recovery.maxDelayMs", 0, false);
    checkNumber(recovery.maxRetries, "recovery.maxRetries", 0, true);
    checkNumber(recovery.windowMs, "recovery.windowMs", 0, false);
    checkNumber(options.maxBodyBytes, "maxBodyBytes", 1, true);
    if (
      cors !== undefined &&
      (!isObject(cors) || typeof cors.origin !== "string" || cors.origin === "")
    ) {
      throw new TypeError(
        `Cannot create the connector host: cors.origin must be a non-empty string, got ${
          describeValue(isObject(cors) ? cors.origin : cors)
        }`,
      );
    }
    this.#definitions = definitions;
    this.#runner = runner;
    this.#tokens = tokens === undefined ? undefined : new BearerTokens(tokens);
    this.#recovery = {
      initialDelayMs: recovery.initialDelayMs ?? 1000,
      maxDelayMs: recovery.maxDelayMs ?? 600_000,
      maxRetries: recovery.maxRetries ?? 10,
      windowMs: recovery.windowMs ?? 3_600_000,
    };
    this.#maxBodyBytes = options.maxBodyBytes ?? MiB;
    this.#corsOrigin = cors?.origin;
    this.#now = options.now ?? Date.now;
    if (options.cluster !== undefined) {
      this.#member = new ClusterMember(options.cluster, this.#now);
    }
    const { clusterLog } = options;
    if (clusterLog !== undefined && typeof clusterLog !== "function") {
      throw new TypeError(
        `Cannot create the connector host: clusterLog must be a function when given, got ${
          describeValue(clusterLog)
        }`,
      );
    }
    this.#log = clusterLog ?? (() => {});
  }

  /**
   * Rebuilds every connector that is not deleted from its events (its last
   * config; enabled when the last of its `started` and `stopped` events is
   * `started`) and starts the enabled ones from their checkpoints. Until it
   * resolves, `GET /readyz` and the `/connectors` endpoints answer 503.
   * Calling it again returns the same promise (or tries again after a
   * failure).
   *
   * @returns Once every connector is rebuilt and the enabled ones are
   * starting.
   * @throws When the definition store cannot be read.
   */
  start(): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(
        new Error("Cannot start the connector host: it was stopped"),
      );
    }
    this.#starting ??= this.#rebuild().then(async () => {
      this.#ready = !this.#stopped;
      if (this.#member !== undefined && !this.#stopped) {
        await this.#tick();
        await this.#placing;
      }
    }, (error) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  /**
   * Stops every connector gracefully (what was read drains to the sinks,
   * checkpoints are committed), for a SIGTERM. No `stopped` events are
   * appended, so a host started again on the same store starts the same
   * connectors. Afterwards the host answers 503 to changes and to
   * `/readyz`, and reads still work.
   *
   * @returns Once every connector ended.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ready = false;
    clearTimeout(this.#tickTimer);
    clearTimeout(this.#expiryTimer);
    await this.#ticking;
    await this.#placing;
    await Promise.all(
      [...this.#slots.values()].map((slot) =>
        this.#queue.run(slot.id, async () => {
          this.#cancelRecovery(slot);
          await this.#halt(slot);
          for (const instance of slot.instances?.values() ?? []) {
            this.#cancelRecovery(instance);
            await this.#halt(instance);
          }
        })
      ),
    );
    // Committed and stopped: the others may take them over at once.
    await this.#member?.leave();
  }

  /**
   * Every connector's status now, sorted by id.
   *
   * @returns The statuses, as `GET /connectors` lists them.
   */
  connectors(): ConnectorStatus[] {
    return [...this.#slots.values()]
      .sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      .map((slot) => this.#status(slot));
  }

  /**
   * A live tap of a running connector's stage: the records out of it,
   * sampled (default at most 100 a second), through a queue of at most
   * `maxQueued` records (default 1000) that drops the newest and counts
   * them when the reader is slow, so the pipeline never waits for a tap.
   * It ends when the connector's run ends (stopped, failed, restarted).
   * Needs a runner with `tap` (`ca serve`'s taps the stages of runners in
   * its own process).
   *
   * @param id The connector.
   * @param stage A processor (or source) of its config, by name.
   * @param options The sampling (`every` or `perSecond`), `maxQueued`, `signal`.
   * @returns The stream of messages; cancel it to end the tap.
   * @throws An error with a {@linkcode HostErrorCode} `code`:
   * `CA_ERR_HOST_UNKNOWN_CONNECTOR`, `CA_ERR_HOST_NOT_RUNNING`,
   * `CA_ERR_HOST_UNKNOWN_STAGE`, `CA_ERR_HOST_TAP_UNSUPPORTED`; a
   * `TypeError` or `RangeError` for wrong options.
   */
  async tap(
    id: string,
    stage: string,
    options: TapOptions = {},
  ): Promise<ReadableStream<TapMessage>> {
    const doing = `tap stage "${stage}" of connector "${id}"`;
    const slot = this.#existing(id, doing);
    const run = slot.run;
    if (run !== undefined && !run.stopping) await settled(run);
    if (
      run === undefined || run.stopping || slot.run !== run ||
      slot.state !== "running"
    ) {
      throw new HostError(
        "CA_ERR_HOST_NOT_RUNNING",
        `Cannot ${doing}: it is ${slot.state}; only a running connector can be tapped`,
      );
    }
    return tapConnector(run.connector, stage, options, doing, this.#now);
  }

  /**
   * Decides how to answer a WebSocket upgrade request for `GET
   * /connectors/{id}/tap?stage=NAME&sample=N|N/s`, for the server that
   * owns the socket (see {@linkcode TapUpgrade}). Any token will do (a
   * viewer's too), sent as `Authorization: Bearer TOKEN` or, from a
   * browser, which cannot set headers on a WebSocket, as the subprotocols
   * `ca.tap` and `ca.token.TOKEN` (`new WebSocket(url, ["ca.tap",
   * "ca.token." + token])`; the token must then be made of the characters
   * of an HTTP token, as hex or base64url are). The server selects
   * `ca.tap`, never the token. Without a valid token the upgrade is
   * refused (401) before anything else is told.
   *
   * @param request The upgrade request, as a web `Request`.
   * @returns Refuse, open (with the messages), or open and close at once
   * with a code and a reason.
   */
  tapRequest(request: Request): Promise<TapUpgrade> {
    return answerTapRequest(request, {
      tokens: this.#tokens,
      unavailable: (doing) =>
        this.#stopped
          ? new HostError(
            "CA_ERR_HOST_STOPPED",
            `Cannot ${doing}: the host was stopped`,
          )
          : this.#ready
          ? undefined
          : new HostError(
            "CA_ERR_HOST_NOT_READY",
            `Cannot ${doing}: the host is starting`,
          ),
      tap: (id, stage, options) => this.tap(id, stage, options),
    });
  }

  /**
   * Answers one request of the API. Never rejects: every error is an
   * answer (500 for what should not have failed).
   *
   * @param request The request; only its path counts, not its host.
   * @returns The response.
   */
  async fetch(request: Request): Promise<Response> {
    let response: Response;
    try {
      response = await this.#handle(request);
    } catch (error) {
      const hostError = error instanceof HostError ? error : new HostError(
        "CA_ERR_HOST_INTERNAL",
        `Cannot answer ${request.method} ${new URL(request.url).pathname}: ${
          describeError(error)
        }`,
      );
      response = json(hostError.status, hostError.body(), hostError.headers);
    }
    response.headers.set("cache-control", "no-store");
    response.headers.set("x-content-type-options", "nosniff");
    if (this.#corsOrigin !== undefined) {
      response.headers.set("access-control-allow-origin", this.#corsOrigin);
      if (this.#corsOrigin !== "*") response.headers.append("vary", "Origin");
    }
    return response;
  }

  // ---------------------------------------------------------------- HTTP

  async #handle(request: Request): Promise<Response> {
    const method = request.method.toUpperCase();
    const segments = new URL(request.url).pathname.split("/").slice(1);
    if (method === "OPTIONS" && this.#corsOrigin !== undefined) {
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-methods": "GET, POST, PUT, DELETE",
          "access-control-allow-headers": "authorization, content-type",
          "access-control-max-age": "600",
        },
      });
    }
    // The probes, and the status page (no data in it: a browser cannot send
    // the token when it navigates; the page sends it on each API call).
    const probe = segments.length === 1 &&
      (segments[0] === "healthz" || segments[0] === "readyz" ||
        segments[0] === "");
    const role: Role | undefined = probe ? undefined : await this.#authenticate(
      request,
    );
    const route = this.#route(segments);
    if (route === undefined) {
      throw new HostError(
        "CA_ERR_HOST_NOT_FOUND",
        `Cannot ${method} ${new URL(request.url).pathname}: no such endpoint`,
      );
    }
    const action = route.actions[method];
    if (action === undefined) {
      const allow = Object.keys(route.actions).join(", ");
      throw new HostError(
        "CA_ERR_HOST_METHOD_NOT_ALLOWED",
        `Cannot ${method} ${
          new URL(request.url).pathname
        }: the endpoint takes ${allow}`,
        { headers: { allow } },
      );
    }
    if (action.change && role === "viewer") {
      throw new HostError(
        "CA_ERR_HOST_FORBIDDEN",
        `Cannot ${method} ${
          new URL(request.url).pathname
        }: a viewer token may only read`,
      );
    }
    if (route.connectors) {
      if (!this.#ready && !this.#stopped) {
        throw new HostError(
          "CA_ERR_HOST_NOT_READY",
          "Cannot manage connectors yet: the host is starting",
        );
      }
      if (action.change && this.#stopped) {
        throw new HostError(
          "CA_ERR_HOST_STOPPED",
          "Cannot change connectors: the host was stopped",
        );
      }
    }
    return await action.handle(request, route.id);
  }

  /** The caller's role; throws 401 when tokens are set and none of them came. */
  async #authenticate(request: Request): Promise<Role | undefined> {
    if (this.#tokens === undefined) return undefined;
    const role = await this.#tokens.roleOf(
      request.headers.get("authorization"),
    );
    if (role === "admin" || role === "viewer") return role;
    throw new HostError(
      "CA_ERR_HOST_UNAUTHORIZED",
      role === "none"
        ? "Cannot answer: the request has no Authorization: Bearer token"
        : "Cannot answer: the token is not valid",
      {
        headers: {
          "www-authenticate": role === "none"
            ? 'Bearer realm="ca"'
            : 'Bearer realm="ca", error="invalid_token"',
        },
      },
    );
  }

  #route(
    segments: string[],
  ):
    | { actions: Record<string, Action>; id: string; connectors: boolean }
    | undefined {
    const [first, encodedId, sub, ...rest] = segments;
    if (segments.length === 1) {
      const actions: Record<string, Action> | undefined = first === "healthz"
        ? { GET: { change: false, handle: () => this.#healthz() } }
        : first === "readyz"
        ? { GET: { change: false, handle: () => this.#readyz() } }
        : first === "metrics"
        ? { GET: { change: false, handle: () => this.#metrics() } }
        : first === "cluster"
        ? { GET: { change: false, handle: () => this.#clusterView() } }
        : first === "connectors"
        ? {
          GET: { change: false, handle: () => this.#list() },
          POST: { change: true, handle: (request) => this.#create(request) },
        }
        : first === ""
        ? { GET: { change: false, handle: () => statusPage() } }
        : undefined;
      return actions && { actions, id: "", connectors: first === "connectors" };
    }
    if (first !== "connectors" || encodedId === undefined || rest.length > 0) {
      return undefined;
    }
    let id: string;
    try {
      id = decodeURIComponent(encodedId);
    } catch {
      return undefined;
    }
    if (id === "") return undefined;
    const actions: Record<string, Action> | undefined = sub === undefined
      ? {
        GET: { change: false, handle: (_, id) => this.#details(id) },
        DELETE: { change: true, handle: (_, id) => this.#delete(id) },
      }
      : sub === "config"
      ? {
        PUT: {
          change: true,
          handle: (request, id) => this.#reconfigure(request, id),
        },
      }
      : sub === "start"
      ? { POST: { change: true, handle: (_, id) => this.#startCommand(id) } }
      : sub === "stop"
      ? { POST: { change: true, handle: (_, id) => this.#stopCommand(id) } }
      : sub === "reset"
      ? {
        POST: {
          change: true,
          handle: (request, id) => this.#reset(request, id),
        },
      }
      : sub === "history"
      ? { GET: { change: false, handle: (_, id) => this.#history(id) } }
      : sub === "tap"
      ? { GET: { change: false, handle: (_, id) => this.#tapOverHttp(id) } }
      : undefined;
    return actions && { actions, id, connectors: true };
  }

  #tapOverHttp(id: string): Promise<Response> {
    throw new HostError(
      "CA_ERR_HOST_UPGRADE_REQUIRED",
      `Cannot tap connector "${id}" over plain HTTP: it is a WebSocket endpoint (ws://HOST/connectors/${
        encodeURIComponent(id)
      }/tap?stage=NAME)`,
      { headers: { upgrade: "websocket" } },
    );
  }

  async #healthz(): Promise<Response> {
    try {
      await this.#definitions.list();
    } catch (error) {
      throw new HostError(
        "CA_ERR_HOST_STORE_UNAVAILABLE",
        `Cannot report healthy: the definition store does not answer: ${
          describeError(error)
        }`,
      );
    }
    return json(200, { status: "ok" });
  }

  #readyz(): Promise<Response> {
    if (!this.#ready) {
      throw new HostError(
        "CA_ERR_HOST_NOT_READY",
        this.#stopped
          ? "Cannot report ready: the host was stopped"
          : "Cannot report ready: the host is starting",
      );
    }
    return Promise.resolve(json(200, { status: "ready" }));
  }

  #metrics(): Promise<Response> {
    // In a cluster each host counts what it runs (sums over hosts stay right).
    const member = this.#member;
    const text = metricsText(
      this.connectors().filter((status) =>
        member === undefined || status.host === member.hostId
      ).map((status) => {
        const slot = this.#slots.get(status.id);
        const progress = slot && this.#progress(slot);
        return {
          id: status.id,
          state: status.state,
          recordsRead: status.recordsRead,
          recordsWritten: status.recordsWritten,
          recordsDeadLettered: status.recordsDeadLettered,
          restarts: slot?.restarts ?? 0,
          uncommittedRecords: status.uncommittedRecords,
          health: progress?.health,
          ...slot?.counters.with(progress),
        };
      }),
    );
    return Promise.resolve(
      new Response(text, {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
    );
  }

  #clusterView(): Promise<Response> {
    const member = this.#member;
    if (member === undefined) {
      throw new HostError(
        "CA_ERR_HOST_NOT_FOUND",
        "Cannot describe the cluster: this host runs alone (it was given no cluster option)",
      );
    }
    const counts = new Map<string, number>();
    for (const lease of this.#view?.units.values() ?? []) {
      counts.set(lease.holder, (counts.get(lease.holder) ?? 0) + 1);
    }
    return Promise.resolve(json(200, {
      host: member.hostId,
      joined: member.joined,
      error: member.lastError,
      hosts: (this.#view?.hosts ?? [])
        .toSorted((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
        .map((host) => ({ ...host, connectors: counts.get(host.id) ?? 0 })),
    }));
  }

  #list(): Promise<Response> {
    return Promise.resolve(json(200, { connectors: this.connectors() }));
  }

  #details(id: string): Promise<Response> {
    const slot = this.#existing(id, `get connector "${id}"`);
    return Promise.resolve(json(200, this.#detailsOf(slot)));
  }

  async #history(id: string): Promise<Response> {
    const doing = `get the history of connector "${id}"`;
    this.#existing(id, doing);
    let events;
    try {
      events = await this.#definitions.read(id);
    } catch (error) {
      throw this.#storeError(doing, error);
    }
    return json(200, { events });
  }

  async #create(request: Request): Promise<Response> {
    let doing = "create a connector";
    requireType(request, JSON_TYPES, doing);
    const body = this.#parseJson(
      await readBody(request, this.#maxBodyBytes, doing),
      doing,
    );
    if (!isObject(body)) {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: the body must be an object { id, config, start? }, got ${
          describeValue(body)
        }`,
      );
    }
    const unknown = Object.keys(body).filter((key) =>
      !["id", "config", "start"].includes(key)
    );
    if (unknown.length > 0) {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: unknown field ${
          JSON.stringify(unknown[0])
        } (the body is { id, config, start? })`,
      );
    }
    const { id, start } = body;
    if (typeof id !== "string" || !ID_PATTERN.test(id)) {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: id must be 1-100 characters of A-Z a-z 0-9 . _ -, got ${
          describeValue(id)
        }`,
      );
    }
    if (start !== undefined && typeof start !== "boolean") {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: start must be true or false, got ${
          describeValue(start)
        }`,
      );
    }
    doing = `create connector "${id}"`;
    if (body.config === undefined) {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: config is missing (an object, or YAML or JSON text)`,
      );
    }
    const config = await this.#checkedConfig(
      typeof body.config === "string"
        ? decodeConfigText(body.config, undefined)
        : { ok: true, value: body.config },
      id,
      doing,
    );
    const run = await this.#queue.run(id, async () => {
      this.#refuseWhenStopped(doing);
      const exists = () =>
        new HostError(
          "CA_ERR_HOST_CONNECTOR_EXISTS",
          `Cannot ${doing}: a connector with that id exists`,
        );
      if (this.#slots.has(id)) throw exists();
      let folded: FoldedDefinition;
      try {
        folded = foldDefinitionEvents(await this.#definitions.read(id));
      } catch (error) {
        throw this.#storeError(doing, error);
      }
      if (!folded.deleted) {
        // Created meanwhile by another host on the same store.
        await this.#adopt(id, folded);
        throw exists();
      }
      const events: DefinitionEvent[] = [
        this.#event(id, "created", { config }),
      ];
      if (start === true) events.push(this.#event(id, "started", {}));
      let version: number;
      try {
        version = await this.#definitions.append(id, events, folded.version);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) {
          throw this.#storeError(doing, error);
        }
        const now = await this.#definitions.read(id).then(
          foldDefinitionEvents,
          () => undefined,
        );
        if (now !== undefined && !now.deleted) await this.#adopt(id, now);
        throw this.#conflict(doing, error);
      }
      const slot = this.#newSlot(id, config, version, start === true);
      this.#slots.set(id, slot);
      if (slot.enabled) await this.#launch(slot);
      return slot.run;
    });
    return json(201, this.#detailsOf(await this.#afterStart(id, run)));
  }

  async #reconfigure(request: Request, id: string): Promise<Response> {
    const doing = `reconfigure connector "${id}"`;
    this.#existing(id, doing);
    requireType(request, CONFIG_TYPES, doing);
    const text = await readBody(request, this.#maxBodyBytes, doing);
    const config = await this.#checkedConfig(
      decodeConfigText(
        text,
        mediaType(request) === "application/json" ? "json" : "yaml",
      ),
      id,
      doing,
    );
    const run = await this.#queue.run(id, async () => {
      const slot = this.#existing(id, doing);
      this.#refuseWhenStopped(doing);
      await this.#append(
        slot,
        [this.#event(id, "reconfigured", { config })],
        doing,
      );
      slot.config = config;
      slot.error = null;
      await this.#restartInstances(slot);
      if (slot.run !== undefined) {
        await this.#halt(slot);
        await this.#launch(slot);
      } else if (slot.state === "degraded" && slot.enabled) {
        slot.failures = [];
        await this.#launch(slot);
      }
      return slot.run;
    });
    return json(200, this.#detailsOf(await this.#afterStart(id, run)));
  }

  async #startCommand(id: string): Promise<Response> {
    const doing = `start connector "${id}"`;
    this.#existing(id, doing);
    const run = await this.#queue.run(id, async () => {
      const slot = this.#existing(id, doing);
      this.#refuseWhenStopped(doing);
      if (
        slot.state === "running" || slot.state === "activating" ||
        slot.state === "recovering" ||
        // In a cluster, enabled: running elsewhere or about to be placed.
        (this.#member !== undefined && slot.enabled &&
          slot.state !== "degraded")
      ) {
        return slot.run;
      }
      await this.#append(slot, [this.#event(id, "started", {})], doing);
      slot.enabled = true;
      slot.error = null;
      slot.failures = [];
      this.#cancelRecovery(slot);
      await this.#launch(slot);
      return slot.run;
    });
    return json(200, this.#detailsOf(await this.#afterStart(id, run)));
  }

  async #stopCommand(id: string): Promise<Response> {
    const doing = `stop connector "${id}"`;
    this.#existing(id, doing);
    const slot = await this.#queue.run(id, async () => {
      const slot = this.#existing(id, doing);
      this.#refuseWhenStopped(doing);
      if (slot.state === "stopped" && !slot.enabled) return slot;
      await this.#append(slot, [this.#event(id, "stopped", {})], doing);
      slot.enabled = false;
      this.#cancelRecovery(slot);
      await this.#halt(slot);
      await this.#member?.release(id);
      await this.#haltInstances(slot);
      return slot;
    });
    return json(200, this.#detailsOf(slot));
  }

  async #reset(request: Request, id: string): Promise<Response> {
    const doing = `reset connector "${id}"`;
    this.#existing(id, doing);
    const text = await readBody(request, this.#maxBodyBytes, doing);
    let position: Position | undefined;
    if (text.trim() !== "") {
      requireType(request, JSON_TYPES, doing);
      const body = this.#parseJson(text, doing);
      if (
        !isObject(body) || Object.keys(body).some((key) => key !== "position")
      ) {
        throw new HostError(
          "CA_ERR_HOST_BAD_REQUEST",
          `Cannot ${doing}: the body must be { position? }, got ${
            describeValue(body)
          }`,
        );
      }
      position = (body.position ?? undefined) as Position | undefined;
    }
    const slot = await this.#queue.run(id, async () => {
      const slot = this.#existing(id, doing);
      this.#refuseWhenStopped(doing);
      await this.#requireStopped(slot, doing);
      await this.#append(
        slot,
        [this.#event(id, "reset", { position: position ?? null })],
        doing,
      );
      try {
        await this.#runner.reset(id, slot.config, position);
      } catch (error) {
        throw new HostError(
          "CA_ERR_HOST_INTERNAL",
          `Cannot ${doing}: ${describeError(error)}`,
        );
      }
      slot.position = position ?? null;
      return slot;
    });
    return json(200, this.#detailsOf(slot));
  }

  async #delete(id: string): Promise<Response> {
    const doing = `delete connector "${id}"`;
    this.#existing(id, doing);
    await this.#queue.run(id, async () => {
      const slot = this.#existing(id, doing);
      this.#refuseWhenStopped(doing);
      await this.#requireStopped(slot, doing);
      // What it keeps outside (its checkpoints, a replication slot) goes
      // first: when that fails, the connector stays, to be deleted again.
      if (this.#runner.remove !== undefined) {
        try {
          await this.#runner.remove(id, slot.config);
        } catch (error) {
          throw new HostError(
            "CA_ERR_HOST_INTERNAL",
            `Cannot ${doing}: removing what it keeps failed (it is kept; try again): ${
              describeError(error)
            }`,
          );
        }
      }
      await this.#append(slot, [this.#event(id, "deleted", {})], doing);
      this.#slots.delete(id);
    });
    return new Response(null, { status: 204 });
  }

  // ------------------------------------------------------------ helpers

  #parseJson(text: string, doing: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: the body is not JSON: ${describeError(error, 200)}`,
      );
    }
  }

  /** The config to store: decoded, an object, its `id` the connector's, checked by the runner. */
  async #checkedConfig(
    decoded:
      | { ok: true; value: unknown }
      | { ok: false; issues: ConfigIssue[] },
    id: string,
    doing: string,
  ): Promise<Record<string, unknown>> {
    const invalid = (issues: ConfigIssue[]) =>
      new HostError(
        "CA_ERR_HOST_INVALID_CONFIG",
        `Cannot ${doing}: the config is not valid: ${
          issues.map((issue) => `${issue.path || "/"}: ${issue.message}`)
            .join("; ")
        }`,
        { issues },
      );
    if (!decoded.ok) throw invalid(decoded.issues);
    const value = decoded.value;
    if (!isObject(value)) {
      throw invalid([{
        path: "",
        message: `expected a pipeline config (an object), got ${
          describeValue(value)
        }`,
        expected: "a pipeline config (an object)",
        received: describeValue(value),
      }]);
    }
    if (value.id !== undefined && value.id !== id) {
      throw invalid([{
        path: "/id",
        message: `expected ${JSON.stringify(id)} (the connector's id), got ${
          describeValue(value.id)
        }`,
        expected: JSON.stringify(id),
        received: describeValue(value.id),
      }]);
    }
    const config: Record<string, unknown> = Object.assign({ id }, value, {
      id,
    });
    let issues: ConfigIssue[];
    try {
      issues = await this.#runner.check(config);
    } catch (error) {
      throw new HostError(
        "CA_ERR_HOST_INTERNAL",
        `Cannot ${doing}: checking the config failed: ${describeError(error)}`,
      );
    }
    if (issues.length > 0) throw invalid(issues);
    return config;
  }

  /** Waits until a run started or ended and the host handled what followed. */
  async #afterStart(id: string, run: Run | undefined): Promise<Slot> {
    if (run !== undefined) {
      await settled(run);
      // Let a failure it ended with be handled first.
      await this.#queue.run(id, () => Promise.resolve());
    }
    const slot = this.#slots.get(id);
    if (slot === undefined) {
      throw new HostError(
        "CA_ERR_HOST_UNKNOWN_CONNECTOR",
        `Cannot report connector "${id}": it was deleted meanwhile`,
      );
    }
    return slot;
  }

  #existing(id: string, doing: string): Slot {
    const slot = this.#slots.get(id);
    if (slot === undefined) {
      throw new HostError(
        "CA_ERR_HOST_UNKNOWN_CONNECTOR",
        `Cannot ${doing}: no such connector`,
      );
    }
    return slot;
  }

  #refuseWhenStopped(doing: string): void {
    if (this.#stopped) {
      throw new HostError(
        "CA_ERR_HOST_STOPPED",
        `Cannot ${doing}: the host was stopped`,
      );
    }
  }

  async #requireStopped(slot: Slot, doing: string): Promise<void> {
    const member = this.#member;
    const state = this.#status(slot).state;
    if (state !== "stopped" || (member !== undefined && slot.enabled)) {
      throw new HostError(
        "CA_ERR_HOST_NOT_STOPPED",
        `Cannot ${doing}: it is ${state}; stop it first`,
      );
    }
    if (member === undefined) return;
    // In a cluster: until the host that ran it released it.
    let leases: LeaseInfo[];
    try {
      leases = await member.leases.list(`connector/${slot.id}`);
    } catch (error) {
      throw new HostError(
        "CA_ERR_HOST_STORE_UNAVAILABLE",
        `Cannot ${doing}: the lease engine failed: ${describeError(error)}`,
      );
    }
    const held = leases.find((lease) =>
      lease.name === `connector/${slot.id}` ||
      lease.name.startsWith(`connector/${slot.id}#`)
    );
    if (held !== undefined) {
      throw new HostError(
        "CA_ERR_HOST_NOT_STOPPED",
        `Cannot ${doing}: host "${held.holder}" still holds it (it is stopping); try again`,
      );
    }
  }

  #storeError(doing: string, error: unknown): HostError {
    return error instanceof HostError ? error : new HostError(
      "CA_ERR_HOST_STORE_UNAVAILABLE",
      `Cannot ${doing}: the definition store failed: ${describeError(error)}`,
    );
  }

  #conflict(doing: string, error: WrongExpectedVersionError): HostError {
    return new HostError(
      "CA_ERR_WRONG_EXPECTED_VERSION",
      `Cannot ${doing}: another change came first (expected version ${error.expectedVersion}, the stream is at ${error.actualVersion}); the connector was reloaded, try again`,
    );
  }

  #event<T extends DefinitionEvent["type"]>(
    connector: string,
    type: T,
    data: Extract<DefinitionEvent, { type: T }>["data"],
  ): DefinitionEvent {
    return {
      type,
      connector,
      at: new Date(this.#now()).toISOString(),
      data,
    } as DefinitionEvent;
  }

  #newSlot(
    id: string,
    config: Record<string, unknown>,
    version: number,
    enabled: boolean,
  ): Slot {
    return {
      id,
      version,
      config,
      enabled,
      state: "stopped",
      error: null,
      updatedAt: new Date(this.#now()).toISOString(),
      run: undefined,
      recovery: undefined,
      failures: [],
      restarts: 0,
      totals: { read: 0, written: 0, deadLettered: 0 },
      counters: new ProgressTotals(),
      position: null,
      meter: new RateMeter(),
      remote: undefined,
    };
  }

  #setState(slot: Slot, state: ConnectorState): void {
    if (slot.state === state) return;
    slot.state = state;
    slot.updatedAt = new Date(this.#now()).toISOString();
  }

  #progress(slot: Slot): ConnectorProgress | undefined {
    try {
      return slot.run?.connector.progress();
    } catch {
      return undefined;
    }
  }

  #status(slot: Slot): ConnectorStatus {
    const member = this.#member;
    if (
      member !== undefined && slot.parent === undefined &&
      parallelismOf(slot.config) > 1
    ) {
      return this.#parallelStatus(slot);
    }
    if (
      member !== undefined && slot.run === undefined &&
      !member.holds(slot.id)
    ) {
      return this.#elsewhere(slot);
    }
    const progress = this.#progress(slot);
    const recordsRead = slot.totals.read + (progress?.recordsRead ?? 0);
    return {
      id: slot.id,
      ...(member === undefined ? {} : { host: member.hostId }),
      state: slot.state,
      enabled: slot.enabled,
      position: progress?.position ?? slot.position ?? null,
      error: slot.error,
      recordsRead,
      recordsWritten: slot.totals.written + (progress?.recordsWritten ?? 0),
      recordsDeadLettered: slot.totals.deadLettered +
        (progress?.recordsDeadLettered ?? 0),
      recordsPerSecond:
        Math.round(slot.meter.rate(this.#now(), recordsRead) * 100) / 100,
      uncommittedRecords: progress?.uncommittedRecords ?? null,
      updatedAt: slot.updatedAt,
    };
  }

  /**
   * In a cluster, a connector this host does not run: as the host that runs
   * it last said in its lease; else `activating` while it waits for a host,
   * or `stopped`.
   */
  #elsewhere(slot: Slot): ConnectorStatus {
    const remote = slot.remote;
    const data = remote === undefined ? {} : parseObject(remote.data);
    const number = (value: unknown) =>
      typeof value === "number" && Number.isFinite(value) ? value : 0;
    const state = CONNECTOR_STATES.includes(data.state as ConnectorState)
      ? data.state as ConnectorState
      : slot.enabled
      ? "activating"
      : "stopped";
    const error = typeof data.error === "object" && data.error !== null
      ? data.error as { code: string; message: string }
      : null;
    return {
      id: slot.id,
      host: remote?.holder ?? null,
      state,
      enabled: slot.enabled,
      position: data.position ?? slot.position ?? null,
      error: remote === undefined ? slot.error : error,
      recordsRead: number(data.recordsRead),
      recordsWritten: number(data.recordsWritten),
      recordsDeadLettered: number(data.recordsDeadLettered),
      recordsPerSecond: number(data.recordsPerSecond),
      uncommittedRecords: typeof data.uncommittedRecords === "number"
        ? data.uncommittedRecords
        : null,
      updatedAt: typeof data.updatedAt === "string"
        ? data.updatedAt
        : slot.updatedAt,
    };
  }

  /** A connector with several instances: theirs, and the sums. */
  #parallelStatus(slot: Slot): ConnectorStatus {
    const count = parallelismOf(slot.config);
    const parts = Array.from({ length: count }, (_, index) => {
      const instance = slot.instances?.get(index);
      const status = instance === undefined
        ? undefined
        : this.#status(instance);
      return {
        index,
        host: status?.host ?? null,
        state: status?.state ?? (slot.enabled ? "activating" : "stopped"),
        recordsRead: status?.recordsRead ?? 0,
        recordsWritten: status?.recordsWritten ?? 0,
        recordsDeadLettered: status?.recordsDeadLettered ?? 0,
        recordsPerSecond: status?.recordsPerSecond ?? 0,
        uncommittedRecords: status?.uncommittedRecords ?? null,
        position: status?.position ?? null,
        error: status?.error ?? null,
        updatedAt: status?.updatedAt ?? slot.updatedAt,
      };
    });
    const states = new Set(parts.map((part) => part.state));
    const state = (
      [
        "degraded",
        "recovering",
        "activating",
        "deactivating",
        "running",
      ] as const
    ).find((candidate) => states.has(candidate)) ?? "stopped";
    const sum = (
      key:
        | "recordsRead"
        | "recordsWritten"
        | "recordsDeadLettered"
        | "recordsPerSecond",
    ) => parts.reduce((total, part) => total + part[key], 0);
    const uncommitted = parts.map((part) => part.uncommittedRecords);
    return {
      id: slot.id,
      host: null,
      instances: parts.map((
        { index, host, state, recordsRead, recordsWritten, position, error },
      ) => ({
        index,
        host,
        state,
        recordsRead,
        recordsWritten,
        position,
        error,
      })),
      state,
      enabled: slot.enabled,
      position: Object.fromEntries(
        parts.map((part) => [String(part.index), part.position]),
      ),
      error: parts.find((part) => part.error !== null)?.error ?? slot.error,
      recordsRead: sum("recordsRead"),
      recordsWritten: sum("recordsWritten"),
      recordsDeadLettered: sum("recordsDeadLettered"),
      recordsPerSecond: Math.round(sum("recordsPerSecond") * 100) / 100,
      uncommittedRecords: uncommitted.every((value) => value !== null)
        ? uncommitted.reduce((total, value) => total + value!, 0)
        : null,
      updatedAt: parts.map((part) => part.updatedAt).sort().at(-1) ??
        slot.updatedAt,
    };
  }

  #detailsOf(slot: Slot): ConnectorDetails {
    return {
      ...this.#status(slot),
      config: slot.config,
      version: slot.version,
      restarts: slot.restarts,
      health: this.#progress(slot)?.health ?? null,
    };
  }

  // ------------------------------------------------------------ cluster

  /** Places the connectors again soon (coalesced). */
  #kick(): void {
    if (this.#member === undefined || this.#stopped || !this.#ready) return;
    this.#place();
  }

  /**
   * One renewal, then the next is due `renewEveryMs` after this one began,
   * whatever placement takes: renewals keep their pace.
   */
  #tick(): Promise<void> {
    if (this.#ticking !== undefined) return this.#ticking;
    clearTimeout(this.#tickTimer);
    const began = performance.now();
    this.#ticking = this.#renew().catch(() => {}).finally(() => {
      this.#ticking = undefined;
      if (this.#stopped) return;
      this.#place();
      this.#tickTimer = setTimeout(
        () => this.#tick(),
        Math.max(0, began + this.#member!.renewEveryMs - performance.now()),
      );
    });
    return this.#ticking;
  }

  /** Runs the placement step, unless one runs: then once more after it. */
  #place(): void {
    if (this.#stopped) return;
    if (this.#placing !== undefined) {
      this.#placeAgain = true;
      return;
    }
    this.#placing = this.#placement().catch(() => {}).finally(() => {
      this.#placing = undefined;
      if (this.#placeAgain) {
        this.#placeAgain = false;
        this.#place();
      }
    });
  }

  /**
   * Renews the leases, ending at once the runs whose lease is lost (and
   * all of them when the leases can no longer be trusted).
   */
  async #renew(): Promise<void> {
    const member = this.#member!;
    const wasJoined = member.joined;
    const lost = await member.renew((id) => this.#leaseData(id));
    if (member.joined !== wasJoined) {
      this.#log(
        member.joined ? "info" : "error",
        member.joined
          ? `joined the cluster as host ${member.hostId}`
          : `left the cluster: ${member.lastError ?? "its leases expired"}`,
      );
    }
    for (const id of lost) {
      this.#log(
        "error",
        `connector ${id}: lost its lease (${
          member.lastError ?? "another host took it"
        }); aborting it here`,
      );
      this.#abandon(id);
    }
    this.#abandonUnlessValid();
    clearTimeout(this.#expiryTimer);
    if (member.valid() && !this.#stopped) {
      this.#expiryTimer = setTimeout(
        () => this.#abandonUnlessValid(),
        member.remainingMs() + 1,
      );
    }
  }

  /**
   * Takes in what other hosts changed in the definitions, and places the
   * connectors: takes the free ones planned here, hands over the ones
   * planned elsewhere. Never waits for a connector to start or stop.
   */
  async #placement(): Promise<void> {
    const member = this.#member!;
    await this.#syncDefinitions().catch(() => {});
    if (!member.joined || this.#stopped) return;
    const view = await member.view();
    this.#view = view;
    const units = this.#units();
    for (const slot of units) {
      const lease = view.units.get(slot.id);
      slot.remote = lease !== undefined && lease.holder !== member.hostId
        ? lease
        : undefined;
    }
    const holders = new Map<string, string>();
    for (const [key, lease] of view.units) holders.set(key, lease.holder);
    // What this host is taking counts as its own: planned again as free, it
    // would be given more than its share, and give the excess back.
    for (const key of this.#taking) holders.set(key, member.hostId);
    const plan = planPlacement(
      view.hosts,
      units
        .filter((slot) => slot.enabled && this.#placed(slot))
        .map((slot) => ({
          key: slot.id,
          connector: (slot.parent ?? slot).id,
          labels: placementLabels(slot.config),
        })),
      holders,
    );
    for (const slot of units) {
      if (this.#busy.has(slot.id)) continue;
      const target = plan.get(slot.id);
      if (member.holds(slot.id)) {
        if (!slot.enabled || target !== member.hostId) this.#handOff(slot);
        else if (
          slot.run === undefined && slot.recovery === undefined &&
          slot.state === "stopped" && !slot.finished
        ) {
          // Held but not running: its run was aborted when the leases
          // could not be trusted for a moment (a stalled event loop), and
          // the renewal then kept them. It starts again from its checkpoint.
          this.#take(slot);
        }
      } else if (
        slot.enabled && target === member.hostId && !holders.has(slot.id)
      ) {
        this.#take(slot);
      }
    }
    for (const id of member.held()) {
      if (this.#unit(id) === undefined && !this.#busy.has(id)) {
        await member.release(id);
      }
    }
  }

  /**
   * Every slot that may run: the connectors, and in a cluster the
   * instances of those with `parallelism` above 1 (made here as needed; the
   * connector itself then runs nowhere, and instances beyond a lowered
   * `parallelism` are left to be handed off and dropped).
   */
  #units(): Slot[] {
    const units: Slot[] = [];
    for (const slot of this.#slots.values()) {
      units.push(slot);
      const count = this.#member === undefined ? 1 : parallelismOf(slot.config);
      if (count === 1 && slot.instances === undefined) continue;
      slot.instances ??= new Map();
      for (let index = 0; index < count; index++) {
        if (!slot.instances.has(index)) {
          slot.instances.set(index, this.#newInstance(slot, index));
        }
      }
      for (const [index, instance] of slot.instances) {
        if (
          index >= count && instance.run === undefined &&
          !this.#member!.holds(instance.id) && !this.#busy.has(instance.id)
        ) {
          slot.instances.delete(index);
        } else units.push(instance);
      }
      if (slot.instances.size === 0) slot.instances = undefined;
    }
    return units;
  }

  /** Whether the cluster places this slot: an instance within the count, or a connector run whole. */
  #placed(slot: Slot): boolean {
    const count = parallelismOf((slot.parent ?? slot).config);
    return slot.parent === undefined ? count === 1 : slot.index! < count;
  }

  /** The slot of a unit key: a connector's id, or `ID#index` for an instance. */
  #unit(key: string): Slot | undefined {
    const slot = this.#slots.get(key);
    if (slot !== undefined) return slot;
    const at = key.lastIndexOf("#");
    if (at < 0) return undefined;
    return this.#slots.get(key.slice(0, at))?.instances?.get(
      Number(key.slice(at + 1)),
    );
  }

  /** A new instance slot of `parent`: its config, flag and version are the parent's. */
  #newInstance(parent: Slot, index: number): Slot {
    const instance = this.#newSlot(
      `${parent.id}#${index}`,
      parent.config,
      parent.version,
      parent.enabled,
    );
    instance.parent = parent;
    instance.index = index;
    for (const key of ["config", "enabled", "version"] as const) {
      Object.defineProperty(instance, key, {
        get: () => parent[key],
        set: (
          value,
        ) => ((parent as unknown as Record<string, unknown>)[key] = value),
        enumerable: true,
      });
    }
    return instance;
  }

  /** Ends every run at once when the leases can no longer be trusted. */
  #abandonUnlessValid(): void {
    if (this.#member!.valid()) return;
    const running = this.#units().filter((slot) =>
      slot.run !== undefined || slot.recovery !== undefined
    );
    if (running.length === 0) return;
    this.#log(
      "error",
      `its leases were not renewed in time (${
        this.#member!.lastError ?? "the loop was late"
      }); aborting ${running.map((slot) => slot.id).join(", ")}`,
    );
    for (const slot of running) this.#abandon(slot.id);
  }

  /** What the runner is told of a slot's place in the cluster. */
  #startContext(slot: Slot): ConnectorStartContext {
    const member = this.#member;
    if (member === undefined) return {};
    return {
      holdsLease: () => member.holds(slot.id),
      ...(slot.parent === undefined ? {} : {
        instance: {
          index: slot.index!,
          count: parallelismOf(slot.parent.config),
        },
      }),
    };
  }

  /** Takes a free connector planned for this host and starts it. */
  #take(slot: Slot): void {
    const member = this.#member!;
    this.#busy.add(slot.id);
    this.#taking.add(slot.id);
    this.#queue.run((slot.parent ?? slot).id, async () => {
      if (
        this.#stopped || this.#unit(slot.id) !== slot || !slot.enabled ||
        slot.run !== undefined || !this.#placed(slot)
      ) {
        return;
      }
      const data = JSON.stringify({
        state: "activating",
        updatedAt: new Date(this.#now()).toISOString(),
      });
      if (!(await member.acquire(slot.id, data))) return;
      if (this.#stopped) {
        await member.release(slot.id);
        return;
      }
      // From then on the host that ran it before can commit nothing more
      // (its start acquires the checkpoint again).
      try {
        await this.#runner.fence?.(
          (slot.parent ?? slot).id,
          slot.config,
          this.#startContext(slot),
        );
      } catch {
        // A failed fence fails the start too, which handles it.
      }
      slot.failures = [];
      slot.error = null;
      this.#log("info", `connector ${slot.id}: took its lease; starting it`);
      await this.#launch(slot);
    }).catch(() => {}).finally(() => {
      this.#busy.delete(slot.id);
      this.#taking.delete(slot.id);
    });
  }

  /**
   * Hands a connector over (planned elsewhere, or no longer enabled): it
   * stops at a record boundary, commits, and its lease is released.
   */
  #handOff(slot: Slot): void {
    this.#busy.add(slot.id);
    this.#queue.run((slot.parent ?? slot).id, async () => {
      this.#cancelRecovery(slot);
      await this.#halt(slot);
      await this.#member!.release(slot.id);
      this.#log(
        "info",
        `connector ${slot.id}: ${
          slot.enabled
            ? "handed over (stopped, committed, released)"
            : "stopped"
        }`,
      );
    }).catch(() => {}).finally(() => {
      this.#busy.delete(slot.id);
      this.#kick();
    });
  }

  /**
   * Ends a connector at once whose lease this host lost: another host may
   * run it already, so nothing of it may be committed or retried here.
   */
  #abandon(id: string): void {
    const slot = this.#unit(id);
    if (slot === undefined) return;
    this.#cancelRecovery(slot);
    const run = slot.run;
    if (run === undefined) {
      if (slot.state !== "stopped") this.#setState(slot, "stopped");
      return;
    }
    run.stopping = true;
    // Not running here any more, whatever the abort still has to close.
    this.#setState(slot, "deactivating");
    const aborted = run.connector.abort(
      new Error(
        `Cannot keep running connector "${id}": this host lost its lease`,
      ),
    ).catch(() => {});
    this.#queue.run((slot.parent ?? slot).id, async () => {
      await aborted;
      if (slot.run === run) this.#retire(slot);
      if (slot.run === undefined) this.#setState(slot, "stopped");
    }).catch(() => {});
  }

  /** Takes in the connectors other hosts created, changed or deleted. */
  async #syncDefinitions(): Promise<void> {
    const streams = await this.#definitions.list({
      signal: AbortSignal.timeout(this.#member!.leases.ttlMs / 2),
    });
    for (const stream of streams) {
      const id = stream.connector;
      const slot = this.#slots.get(id);
      if (
        (slot === undefined
          ? stream.deleted
          : slot.version === stream.version) ||
        this.#busy.has(id)
      ) {
        continue;
      }
      this.#busy.add(id);
      this.#queue.run(id, async () => {
        const folded = foldDefinitionEvents(await this.#definitions.read(id));
        const current = this.#slots.get(id);
        if (current === undefined) {
          if (!folded.deleted) await this.#adopt(id, folded);
        } else if (current.version !== folded.version) {
          await this.#reconcile(current, folded);
        }
      }).catch(() => {}).finally(() => this.#busy.delete(id));
    }
  }

  /** What this host tells the others of a connector it runs: its status. */
  #leaseData(id: string): string {
    const slot = this.#unit(id);
    if (slot === undefined) return "{}";
    const { id: _id, host: _host, ...status } = this.#status(slot);
    return JSON.stringify(status);
  }

  // ------------------------------------------------------ state machine

  /** Reads every live connector's stream and starts the enabled ones. */
  async #rebuild(): Promise<void> {
    const streams = await this.#definitions.list();
    await Promise.all(
      streams.filter((stream) => !stream.deleted).map((stream) =>
        this.#queue.run(stream.connector, async () => {
          if (this.#slots.has(stream.connector)) return;
          const folded = foldDefinitionEvents(
            await this.#definitions.read(stream.connector),
          );
          if (!folded.deleted) await this.#adopt(stream.connector, folded);
        })
      ),
    );
  }

  /** Takes a connector as its stream says (inside its queue), starting it when enabled. */
  async #adopt(id: string, folded: FoldedDefinition): Promise<void> {
    const slot = this.#newSlot(
      id,
      folded.config,
      folded.version,
      folded.enabled,
    );
    this.#slots.set(id, slot);
    if (slot.enabled) await this.#launch(slot);
  }

  /**
   * Appends a command's events with the expected version. On a conflict the
   * connector is reloaded from its stream (and made to match it) and the
   * command fails with 409.
   */
  async #append(
    slot: Slot,
    events: DefinitionEvent[],
    doing: string,
  ): Promise<void> {
    try {
      slot.version = await this.#definitions.append(
        slot.id,
        events,
        slot.version,
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) {
        throw this.#storeError(doing, error);
      }
      await this.#reload(slot).catch(() => {});
      throw this.#conflict(doing, error);
    }
  }

  /**
   * Appends an event of the host's own (`failed`, `recovering`, `stopped`
   * after a pipeline finished). A store that fails is let be (the host goes
   * on from memory); on a conflict the connector is reloaded and the event
   * appended once more while the connector is still enabled.
   *
   * @returns False when, reloaded, the connector is no longer enabled (or
   * deleted): the caller stops handling it.
   */
  async #record(unit: Slot, event: DefinitionEvent): Promise<boolean> {
    // An instance's events go to its connector's stream.
    const slot = unit.parent ?? unit;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        slot.version = await this.#definitions.append(
          slot.id,
          [event],
          slot.version,
        );
        return true;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) return true;
        let folded: FoldedDefinition;
        try {
          folded = foldDefinitionEvents(await this.#definitions.read(slot.id));
        } catch {
          return true;
        }
        if (folded.deleted || !folded.enabled) {
          await this.#reconcile(slot, folded);
          return false;
        }
        slot.version = folded.version;
        slot.config = folded.config;
      }
    }
    return true;
  }

  /** Reads the connector's stream again and makes the connector match it. */
  async #reload(slot: Slot): Promise<void> {
    const folded = foldDefinitionEvents(await this.#definitions.read(slot.id));
    await this.#reconcile(slot, folded);
  }

  /** Makes a connector match its stream: stopped, removed, started or restarted. */
  async #reconcile(slot: Slot, folded: FoldedDefinition): Promise<void> {
    // By content: a store may give the keys back in another order (jsonb).
    const changed = canonicalJson(folded.config) !== canonicalJson(slot.config);
    slot.version = folded.version;
    slot.config = folded.config;
    slot.enabled = folded.enabled && !folded.deleted;
    if (!slot.enabled) await this.#haltInstances(slot);
    else if (changed) await this.#restartInstances(slot);
    if (!slot.enabled) {
      this.#cancelRecovery(slot);
      await this.#halt(slot);
      await this.#member?.release(slot.id);
      if (folded.deleted && this.#slots.get(slot.id) === slot) {
        this.#slots.delete(slot.id);
      }
    } else if (slot.run !== undefined) {
      if (changed) {
        await this.#halt(slot);
        await this.#launch(slot);
      }
    } else if (slot.state === "stopped") {
      await this.#launch(slot);
    }
  }

  /** Stops the instances of a connector this host runs, and releases them (inside its queue). */
  async #haltInstances(slot: Slot): Promise<void> {
    for (const instance of slot.instances?.values() ?? []) {
      this.#cancelRecovery(instance);
      await this.#halt(instance);
      await this.#member?.release(instance.id);
    }
  }

  /** Restarts the instances of a connector this host runs, with its config now (inside its queue). */
  async #restartInstances(slot: Slot): Promise<void> {
    for (const instance of slot.instances?.values() ?? []) {
      if (instance.run === undefined) continue;
      await this.#halt(instance);
      if (this.#placed(instance)) await this.#launch(instance);
      else await this.#member?.release(instance.id);
    }
  }

  /** Starts a connector's pipeline(s) (inside its queue). */
  async #launch(slot: Slot): Promise<void> {
    slot.finished = false;
    const member = this.#member;
    if (this.#stopped || (member !== undefined && !member.holds(slot.id))) {
      // In a cluster it runs where it holds the lease: the loop places it.
      this.#setState(slot, "stopped");
      if (member !== undefined && !this.#stopped) this.#kick();
      return;
    }
    let connector: RunningConnector;
    try {
      connector = this.#runner.start(
        (slot.parent ?? slot).id,
        slot.config,
        this.#startContext(slot),
      );
    } catch (error) {
      await this.#failed(slot, toFailure(error));
      return;
    }
    const run: Run = { connector, stopping: false };
    slot.run = run;
    this.#setState(slot, "activating");
    connector.started.then(() => {
      if (slot.run === run && slot.state === "activating") {
        this.#setState(slot, "running");
      }
    }, (error) => this.#ended(slot, run, toFailure(error), true));
    connector.ended.then(
      (failure) => this.#ended(slot, run, failure ?? undefined, false),
      (error) => this.#ended(slot, run, toFailure(error), false),
    );
  }

  /** A run ended (or could not start) without the host stopping it. */
  #ended(
    slot: Slot,
    run: Run,
    failure: ConnectorFailure | undefined,
    fromStart: boolean,
  ): void {
    if (run.stopping) return;
    this.#queue.run((slot.parent ?? slot).id, async () => {
      if (run.stopping || slot.run !== run) return;
      run.stopping = true;
      if (fromStart) await run.connector.abort(failure).catch(() => {});
      this.#retire(slot);
      if (this.#unit(slot.id) !== slot) return;
      const member = this.#member;
      if (
        member !== undefined &&
        (!member.holds(slot.id) || failure?.code === "CA_ERR_FENCED")
      ) {
        // Its lease is lost, or another host took it over: no failure of
        // its own to record or retry here.
        await member.release(slot.id);
        this.#setState(slot, "stopped");
        this.#kick();
        return;
      }
      if (failure !== undefined) {
        await this.#failed(slot, failure);
      } else if (slot.parent !== undefined) {
        // An instance that finished: the others may still run; it keeps
        // its lease (so no other host starts it again) until its
        // connector is stopped.
        slot.finished = true;
        this.#setState(slot, "stopped");
      } else {
        // It finished: it no longer runs, here or after a restart.
        this.#setState(slot, "stopped");
        if (await this.#record(slot, this.#event(slot.id, "stopped", {}))) {
          slot.enabled = false;
        }
        if (!slot.enabled) await this.#member?.release(slot.id);
      }
    }).catch(() => {});
  }

  /** Handles a failure (inside the queue): backoff and restart, or degraded. */
  async #failed(slot: Slot, failure: ConnectorFailure): Promise<void> {
    slot.error = {
      code: failure.code,
      message: slot.parent === undefined
        ? failure.message
        : `instance ${slot.index}: ${failure.message}`,
    };
    const owner = slot.parent ?? slot;
    const failed = this.#event(owner.id, "failed", { error: slot.error });
    if (!(await this.#record(slot, failed))) return;
    const { initialDelayMs, maxDelayMs, maxRetries, windowMs } = this.#recovery;
    const now = this.#now();
    slot.failures = slot.failures.filter((at) => now - at < windowMs);
    if (!failure.transient || slot.failures.length >= maxRetries) {
      this.#setState(slot, "degraded");
      return;
    }
    slot.failures.push(now);
    const attempt = slot.failures.length;
    const delayMs = Math.min(initialDelayMs * 2 ** (attempt - 1), maxDelayMs);
    const recovering = this.#event(owner.id, "recovering", {
      attempt,
      delayMs,
    });
    if (!(await this.#record(slot, recovering))) return;
    this.#setState(slot, "recovering");
    if (this.#stopped) return;
    const recovery = {
      timer: setTimeout(() => {
        this.#queue.run((slot.parent ?? slot).id, async () => {
          if (slot.recovery !== recovery) return;
          slot.recovery = undefined;
          if (
            this.#unit(slot.id) !== slot || slot.state !== "recovering"
          ) {
            return;
          }
          slot.restarts++;
          await this.#launch(slot);
        }).catch(() => {});
      }, delayMs),
    };
    slot.recovery = recovery;
  }

  #cancelRecovery(slot: Slot): void {
    if (slot.recovery !== undefined) clearTimeout(slot.recovery.timer);
    slot.recovery = undefined;
  }

  /** Stops the connector's run, if any, gracefully (inside the queue); leaves it `stopped`. */
  async #halt(slot: Slot): Promise<void> {
    const run = slot.run;
    if (run !== undefined) {
      run.stopping = true;
      this.#setState(slot, "deactivating");
      await stopRun(run);
      this.#retire(slot);
    }
    this.#setState(slot, "stopped");
  }

  /** Folds the ended run's counters into the connector's totals. */
  #retire(slot: Slot): void {
    const progress = this.#progress(slot);
    if (progress !== undefined) {
      slot.totals.read += progress.recordsRead;
      slot.totals.written += progress.recordsWritten;
      slot.totals.deadLettered += progress.recordsDeadLettered;
      slot.counters.add(progress);
      if (progress.position !== undefined) slot.position = progress.position;
    }
    slot.run = undefined;
  }
}
