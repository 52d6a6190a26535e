// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import type { DefinitionStore } from "../definition_store/definition_store.ts";
import type { StoredDefinitionEvent } from "../definition_store/stored_definition_event.ts";
import { FakeRunner } from "./_fake_runner.ts";
import { ConnectorHost } from "./connector_host.ts";
import type { ConnectorHostOptions } from "./connector_host_options.ts";
import type { ConnectorState } from "./connector_state.ts";

const CONFIG = { processors: [{ use: "generate" }, { use: "console" }] };

interface Call {
  body?: unknown;
  /** Sent as is when a string (no JSON encoding). */
  raw?: string | ReadableStream<Uint8Array>;
  type?: string;
  token?: string;
  headers?: Record<string, string>;
}

function call(
  host: ConnectorHost,
  method: string,
  path: string,
  options: Call = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = options.type ?? "application/json";
  } else if (options.raw !== undefined) {
    body = options.raw;
    if (options.type !== undefined) headers["content-type"] = options.type;
  }
  if (options.token !== undefined) {
    headers.authorization = `Bearer ${options.token}`;
  }
  return host.fetch(
    new Request(`http://host${path}`, {
      method,
      headers,
      body,
      // Needed by Node for a stream body.
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit),
  );
}

/** The answer's status and JSON body. */
async function answer(
  response: Promise<Response>,
  // deno-lint-ignore no-explicit-any -- JSON answers, read field by field
): Promise<{ status: number; body: Record<string, any> }> {
  const resolved = await response;
  const text = await resolved.text();
  return { status: resolved.status, body: text === "" ? {} : JSON.parse(text) };
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function newHost(
  options: Partial<ConnectorHostOptions> = {},
): Promise<
  { host: ConnectorHost; runner: FakeRunner; definitions: DefinitionStore }
> {
  const runner = (options.runner as FakeRunner | undefined) ?? new FakeRunner();
  const definitions = options.definitions ?? memoryDefinitionStore();
  const host = new ConnectorHost({ ...options, runner, definitions });
  await host.start();
  return { host, runner, definitions };
}

function stateOf(host: ConnectorHost, id: string): ConnectorState | undefined {
  return host.connectors().find((status) => status.id === id)?.state;
}

async function historyTypes(
  definitions: DefinitionStore,
  id: string,
): Promise<string[]> {
  return (await definitions.read(id)).map((event) => event.type);
}

test("POST /connectors stores the config with its id and answers 201; GET lists and shows it", async () => {
  const { host, runner, definitions } = await newHost();
  const created = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: CONFIG },
    }),
  );
  assert.equal(created.status, 201);
  assert.equal(created.body.id, "orders");
  assert.equal(created.body.state, "stopped");
  assert.equal(created.body.enabled, false);
  assert.deepEqual(created.body.config, { id: "orders", ...CONFIG });
  assert.equal(runner.runs.length, 0, "not started without start: true");

  const list = await answer(call(host, "GET", "/connectors"));
  assert.equal(list.status, 200);
  assert.equal(list.body.connectors.length, 1);
  const [item] = list.body.connectors;
  for (
    const key of [
      "id",
      "state",
      "enabled",
      "position",
      "error",
      "recordsRead",
      "recordsWritten",
      "recordsPerSecond",
      "updatedAt",
    ]
  ) {
    assert.ok(key in item, `GET /connectors items have ${key}`);
  }
  assert.equal(item.config, undefined, "the list leaves the config out");
  assert.equal(item.error, null);
  assert.ok(!Number.isNaN(Date.parse(item.updatedAt)));

  const details = await answer(call(host, "GET", "/connectors/orders"));
  assert.equal(details.status, 200);
  assert.deepEqual(details.body.config, { id: "orders", ...CONFIG });
  assert.equal(details.body.version, 1);
  assert.deepEqual(await historyTypes(definitions, "orders"), ["created"]);
  await host.stop();
});

test("POST /connectors takes the config as YAML text, and start: true starts it", async () => {
  const { host, runner } = await newHost();
  const yaml = "id: orders\nprocessors:\n  - use: generate\n  - use: console\n";
  const created = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: yaml, start: true },
    }),
  );
  assert.equal(created.status, 201);
  assert.equal(created.body.state, "running");
  assert.equal(created.body.enabled, true);
  assert.deepEqual(created.body.config, { id: "orders", ...CONFIG });
  assert.equal(runner.live("orders").length, 1);
  assert.deepEqual(runner.runs[0]!.config, { id: "orders", ...CONFIG });
  await host.stop();
  assert.equal(runner.live("orders").length, 0);
});

test("POST /connectors refuses an invalid config with 400 and its issues, and stores nothing", async () => {
  const { host, runner, definitions } = await newHost();
  runner.issues = (config) =>
    Array.isArray(config.processors)
      ? []
      : [{ path: "/processors", message: "expected an array, got undefined" }];
  const invalid = await answer(
    call(host, "POST", "/connectors", { body: { id: "orders", config: {} } }),
  );
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error.code, "CA_ERR_HOST_INVALID_CONFIG");
  assert.match(invalid.body.error.message, /^Cannot create connector "orders"/);
  assert.deepEqual(invalid.body.error.issues, [
    { path: "/processors", message: "expected an array, got undefined" },
  ]);

  const otherId = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: { id: "payments", ...CONFIG } },
    }),
  );
  assert.equal(otherId.status, 400);
  assert.equal(otherId.body.error.issues[0].path, "/id");

  const badYaml = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: "processors: [\n" },
    }),
  );
  assert.equal(badYaml.status, 400);
  assert.equal(badYaml.body.error.code, "CA_ERR_HOST_INVALID_CONFIG");
  assert.equal(badYaml.body.error.issues[0].path, "");

  const notObject = await answer(
    call(host, "POST", "/connectors", { body: { id: "orders", config: [1] } }),
  );
  assert.equal(notObject.status, 400);
  assert.deepEqual(await definitions.list(), []);
  assert.deepEqual(host.connectors(), []);
  await host.stop();
});

test("POST /connectors answers 400 for a malformed body, 409 for an existing id", async () => {
  const { host } = await newHost();
  const cases: [Call, string][] = [
    [{ raw: "{not json", type: "application/json" }, "not JSON"],
    [{ body: [] }, "must be an object"],
    [{ body: { id: "bad id!", config: CONFIG } }, "id must be"],
    [{ body: { config: CONFIG } }, "id must be"],
    [{ body: { id: "orders" } }, "config is missing"],
    [{ body: { id: "orders", config: CONFIG, start: "yes" } }, "start must"],
    [{ body: { id: "orders", config: CONFIG, extra: 1 } }, "unknown field"],
  ];
  for (const [request, message] of cases) {
    const { status, body } = await answer(
      call(host, "POST", "/connectors", request),
    );
    assert.equal(status, 400, message);
    assert.equal(body.error.code, "CA_ERR_HOST_BAD_REQUEST");
    assert.ok(body.error.message.includes(message), body.error.message);
  }
  const first = await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG },
  });
  assert.equal(first.status, 201);
  const again = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: CONFIG },
    }),
  );
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "CA_ERR_HOST_CONNECTOR_EXISTS");
  await host.stop();
});

test("bodies need their content-type (415) and are limited in size (413), with or without content-length", async () => {
  const { host } = await newHost({ maxBodyBytes: 100 });
  const wrongType = await answer(
    call(host, "POST", "/connectors", {
      raw: JSON.stringify({ id: "a", config: CONFIG }),
      type: "text/plain",
    }),
  );
  assert.equal(wrongType.status, 415);
  assert.equal(wrongType.body.error.code, "CA_ERR_HOST_UNSUPPORTED_MEDIA_TYPE");
  const noType = await answer(
    call(host, "POST", "/connectors", {
      raw: JSON.stringify({ id: "a", config: CONFIG }),
    }),
  );
  assert.equal(noType.status, 415);

  const big = { id: "a", config: { ...CONFIG, note: "x".repeat(200) } };
  const tooLarge = await answer(
    call(host, "POST", "/connectors", { body: big }),
  );
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.body.error.code, "CA_ERR_HOST_BODY_TOO_LARGE");

  // A streamed body has no content-length: it is cut off while read.
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new TextEncoder().encode("x".repeat(64)));
    },
  });
  const streamed = await answer(
    call(host, "POST", "/connectors", {
      raw: endless,
      type: "application/json",
    }),
  );
  assert.equal(streamed.status, 413);
  assert.ok(pulled < 10, `stopped reading early (${pulled} chunks)`);
  assert.deepEqual(host.connectors(), []);
  await host.stop();
});

test("unknown paths and ids answer 404 JSON, other methods 405 with Allow", async () => {
  const { host } = await newHost();
  const unknownPath = await answer(call(host, "GET", "/nothing/here"));
  assert.equal(unknownPath.status, 404);
  assert.equal(unknownPath.body.error.code, "CA_ERR_HOST_NOT_FOUND");
  // "/" is the status page: HTML, no token needed (it holds no data).
  const page = await host.fetch(new Request("http://host/"));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  await page.body?.cancel();
  assert.equal((await answer(call(host, "POST", "/"))).status, 405);
  assert.equal(
    (await answer(call(host, "GET", "/connectors/a/b/c"))).status,
    404,
  );
  for (
    const [method, path] of [
      ["GET", "/connectors/missing"],
      ["GET", "/connectors/missing/history"],
      ["POST", "/connectors/missing/start"],
      ["POST", "/connectors/missing/stop"],
      ["POST", "/connectors/missing/reset"],
      ["DELETE", "/connectors/missing"],
    ]
  ) {
    const { status, body } = await answer(call(host, method!, path!));
    assert.equal(status, 404, `${method} ${path}`);
    assert.equal(body.error.code, "CA_ERR_HOST_UNKNOWN_CONNECTOR");
  }
  const put = await answer(
    call(host, "PUT", "/connectors/missing/config", { body: CONFIG }),
  );
  assert.equal(put.status, 404);
  const wrongMethod = await call(host, "DELETE", "/connectors");
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "GET, POST");
  assert.equal(
    (await wrongMethod.json()).error.code,
    "CA_ERR_HOST_METHOD_NOT_ALLOWED",
  );
  assert.equal((await call(host, "GET", "/connectors/x/start")).status, 405);
  await host.stop();
});

test("start and stop are idempotent and answer with the state; history lists the events", async () => {
  const { host, runner } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG },
  });
  for (let i = 0; i < 2; i++) {
    const started = await answer(
      call(host, "POST", "/connectors/orders/start"),
    );
    assert.equal(started.status, 200);
    assert.equal(started.body.state, "running");
    assert.equal(started.body.enabled, true);
  }
  assert.equal(runner.runs.length, 1, "a second start starts nothing");
  for (let i = 0; i < 2; i++) {
    const stopped = await answer(call(host, "POST", "/connectors/orders/stop"));
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.state, "stopped");
    assert.equal(stopped.body.enabled, false);
  }
  assert.equal(runner.live("orders").length, 0);
  assert.equal(runner.runs[0]!.stoppedByHost, true);
  const history = await answer(call(host, "GET", "/connectors/orders/history"));
  assert.equal(history.status, 200);
  assert.deepEqual(
    history.body.events.map((e: { type: string; version: number }) =>
      `${e.version} ${e.type}`
    ),
    ["1 created", "2 started", "3 stopped"],
  );
  await host.stop();
});

test("the state shows the pipeline's counters and position", async () => {
  const { host, runner } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  runner.runs[0]!.progress = {
    recordsRead: 10,
    recordsWritten: 9,
    recordsDeadLettered: 1,
    position: { offset: 42 },
    uncommittedRecords: 0,
  };
  const details = await answer(call(host, "GET", "/connectors/orders"));
  assert.equal(details.body.recordsRead, 10);
  assert.equal(details.body.recordsWritten, 9);
  assert.equal(details.body.recordsDeadLettered, 1);
  assert.deepEqual(details.body.position, { offset: 42 });
  assert.equal(typeof details.body.recordsPerSecond, "number");
  await call(host, "POST", "/connectors/orders/stop");
  const stopped = await answer(call(host, "GET", "/connectors/orders"));
  assert.equal(stopped.body.recordsRead, 10, "counters outlive the run");
  assert.deepEqual(stopped.body.position, { offset: 42 });
  await host.stop();
});

test("PUT /connectors/{id}/config restarts a running connector with the new config", async () => {
  const { host, runner, definitions } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  const changed = await answer(
    call(host, "PUT", "/connectors/orders/config", {
      raw: "processors:\n  - use: generate\n",
      type: "application/yaml",
    }),
  );
  assert.equal(changed.status, 200);
  assert.equal(changed.body.state, "running");
  assert.deepEqual(changed.body.config, {
    id: "orders",
    processors: [{ use: "generate" }],
  });
  assert.equal(runner.runs.length, 2);
  assert.equal(runner.runs[0]!.stoppedByHost, true, "stopped gracefully");
  assert.deepEqual(runner.runs[1]!.config, changed.body.config);
  assert.equal(runner.live("orders").length, 1);
  assert.equal(runner.maxLive.get("orders"), 1);

  const asJson = await answer(
    call(host, "PUT", "/connectors/orders/config", { body: CONFIG }),
  );
  assert.equal(asJson.status, 200);
  assert.deepEqual(asJson.body.config, { id: "orders", ...CONFIG });
  assert.deepEqual(await historyTypes(definitions, "orders"), [
    "created",
    "started",
    "reconfigured",
    "reconfigured",
  ]);

  const wrongType = await answer(
    call(host, "PUT", "/connectors/orders/config", {
      raw: "processors: []",
      type: "text/plain",
    }),
  );
  assert.equal(wrongType.status, 415);
  const otherId = await answer(
    call(host, "PUT", "/connectors/orders/config", {
      body: { id: "payments", ...CONFIG },
    }),
  );
  assert.equal(otherId.status, 400);
  assert.equal(otherId.body.error.issues[0].path, "/id");
  const badJson = await answer(
    call(host, "PUT", "/connectors/orders/config", {
      raw: '{"processors": [}',
      type: "application/json",
    }),
  );
  assert.equal(badJson.status, 400);
  assert.equal(badJson.body.error.code, "CA_ERR_HOST_INVALID_CONFIG");
  assert.equal(runner.runs.length, 3, "refused configs restart nothing");

  await call(host, "POST", "/connectors/orders/stop");
  const whileStopped = await answer(
    call(host, "PUT", "/connectors/orders/config", { body: CONFIG }),
  );
  assert.equal(
    whileStopped.body.state,
    "stopped",
    "a stopped one stays stopped",
  );
  assert.equal(runner.runs.length, 3);
  await host.stop();
});

test("POST /connectors/{id}/reset answers 409 unless stopped, then resets the checkpoint", async () => {
  const { host, runner, definitions } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  const running = await answer(
    call(host, "POST", "/connectors/orders/reset", { body: { position: 5 } }),
  );
  assert.equal(running.status, 409);
  assert.equal(running.body.error.code, "CA_ERR_HOST_NOT_STOPPED");
  assert.deepEqual(runner.resets, []);
  await call(host, "POST", "/connectors/orders/stop");

  const toPosition = await answer(
    call(host, "POST", "/connectors/orders/reset", {
      body: { position: { offset: 5 } },
    }),
  );
  assert.equal(toPosition.status, 200);
  assert.deepEqual(toPosition.body.position, { offset: 5 });
  const toStart = await answer(call(host, "POST", "/connectors/orders/reset"));
  assert.equal(toStart.status, 200);
  assert.deepEqual(runner.resets, [
    { id: "orders", position: { offset: 5 } },
    { id: "orders", position: undefined },
  ]);
  const events = await definitions.read("orders");
  assert.deepEqual(
    events.filter((e) => e.type === "reset").map((e) => e.data),
    [{ position: { offset: 5 } }, { position: null }],
  );
  const badBody = await answer(
    call(host, "POST", "/connectors/orders/reset", { body: { offset: 1 } }),
  );
  assert.equal(badBody.status, 400);
  const wrongType = await answer(
    call(host, "POST", "/connectors/orders/reset", {
      raw: '{"position":1}',
      type: "text/plain",
    }),
  );
  assert.equal(wrongType.status, 415);
  await host.stop();
});

test("DELETE /connectors/{id} answers 409 unless stopped, 204, then 404; the id can be used again", async () => {
  const { host, runner, definitions } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  const running = await answer(call(host, "DELETE", "/connectors/orders"));
  assert.equal(running.status, 409);
  assert.equal(running.body.error.code, "CA_ERR_HOST_NOT_STOPPED");
  await call(host, "POST", "/connectors/orders/stop");
  await call(host, "POST", "/connectors/orders/reset");
  assert.deepEqual(runner.removes, [], "removed only by a delete that goes");
  const deleted = await call(host, "DELETE", "/connectors/orders");
  assert.equal(deleted.status, 204);
  assert.deepEqual(runner.removes, ["orders"], "what it kept is removed");
  assert.equal((await call(host, "GET", "/connectors/orders")).status, 404);
  assert.equal(
    (await call(host, "GET", "/connectors/orders/history")).status,
    404,
  );
  assert.equal((await call(host, "DELETE", "/connectors/orders")).status, 404);
  assert.deepEqual(await definitions.list(), [
    { connector: "orders", version: 5, deleted: true },
  ]);
  const again = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: CONFIG },
    }),
  );
  assert.equal(again.status, 201);
  assert.equal(again.body.version, 6);
  assert.deepEqual(runner.removes, ["orders"]);
  await host.stop();
});

test("DELETE /connectors/{id} answers 500 and keeps the connector when the runner cannot remove what it keeps; a retry deletes it", async () => {
  const { host, runner, definitions } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG },
  });
  runner.removeError = new Error(
    'Cannot drop replication slot "orders": the server does not answer',
  );
  const failed = await answer(call(host, "DELETE", "/connectors/orders"));
  assert.equal(failed.status, 500);
  assert.equal(failed.body.error.code, "CA_ERR_HOST_INTERNAL");
  assert.match(
    failed.body.error.message,
    /^Cannot delete connector "orders": .*Cannot drop replication slot "orders": the server does not answer$/,
  );
  assert.equal((await call(host, "GET", "/connectors/orders")).status, 200);
  assert.deepEqual(await historyTypes(definitions, "orders"), ["created"]);

  runner.removeError = undefined;
  assert.equal((await call(host, "DELETE", "/connectors/orders")).status, 204);
  assert.deepEqual(runner.removes, ["orders", "orders"]);
  assert.deepEqual(await historyTypes(definitions, "orders"), [
    "created",
    "deleted",
  ]);
  await host.stop();
});

test("GET /healthz checks the definition store; GET /readyz answers 503 until start() resolved", async () => {
  const definitions = memoryDefinitionStore();
  const runner = new FakeRunner();
  const host = new ConnectorHost({ definitions, runner });
  const early = await answer(call(host, "GET", "/readyz"));
  assert.equal(early.status, 503);
  assert.equal(early.body.error.code, "CA_ERR_HOST_NOT_READY");
  const connectorsEarly = await answer(call(host, "GET", "/connectors"));
  assert.equal(connectorsEarly.status, 503);
  await host.start();
  assert.deepEqual(await answer(call(host, "GET", "/readyz")), {
    status: 200,
    body: { status: "ready" },
  });
  assert.deepEqual(await answer(call(host, "GET", "/healthz")), {
    status: 200,
    body: { status: "ok" },
  });
  await host.stop();
  assert.equal((await call(host, "GET", "/readyz")).status, 503);

  const broken: DefinitionStore = {
    ...memoryDefinitionStore(),
    list: () => Promise.reject(new Error("connection refused")),
  };
  const unhealthy = new ConnectorHost({ definitions: broken, runner });
  const health = await answer(call(unhealthy, "GET", "/healthz"));
  assert.equal(health.status, 503);
  assert.equal(health.body.error.code, "CA_ERR_HOST_STORE_UNAVAILABLE");
  assert.match(health.body.error.message, /connection refused/);
});

test("GET /metrics answers the Prometheus text of every connector", async () => {
  const { host, runner } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  await call(host, "POST", "/connectors", {
    body: { id: "audit", config: CONFIG },
  });
  runner.runs[0]!.progress = {
    recordsRead: 7,
    recordsWritten: 6,
    recordsDeadLettered: 1,
    position: 7,
  };
  const response = await call(host, "GET", "/metrics");
  assert.equal(response.status, 200);
  assert.match(
    response.headers.get("content-type")!,
    /^text\/plain; version=0\.0\.4/,
  );
  const lines = (await response.text()).split("\n");
  for (
    const line of [
      "# TYPE ca_connector_state gauge",
      'ca_connector_state{connector="orders",state="running"} 1',
      'ca_connector_state{connector="orders",state="stopped"} 0',
      'ca_connector_state{connector="audit",state="stopped"} 1',
      "# TYPE ca_connector_records_read_total counter",
      'ca_connector_records_read_total{connector="orders"} 7',
      'ca_connector_records_written_total{connector="orders"} 6',
      'ca_connector_records_dead_lettered_total{connector="orders"} 1',
      'ca_connector_restarts_total{connector="orders"} 0',
      'ca_connector_records_read_total{connector="audit"} 0',
    ]
  ) {
    assert.ok(lines.includes(line), `metrics have ${line}`);
  }
  await host.stop();
});

test("bearer tokens: 401 without or with an unknown token, 403 for a viewer changing things", async () => {
  const { host, runner } = await newHost({
    tokens: { admin: ["admin-secret"], viewer: ["viewer-secret"] },
  });
  const none = await call(host, "GET", "/connectors");
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
  assert.equal((await none.json()).error.code, "CA_ERR_HOST_UNAUTHORIZED");
  const unknown = await call(host, "GET", "/connectors", { token: "guess" });
  assert.equal(unknown.status, 401);
  assert.match(unknown.headers.get("www-authenticate")!, /invalid_token/);
  const text = await unknown.text();
  assert.ok(!text.includes("guess"), "the token is not echoed");
  const prefix = await call(host, "GET", "/connectors", {
    token: "admin-secre",
  });
  assert.equal(prefix.status, 401);
  const basic = await call(host, "GET", "/connectors", {
    headers: { authorization: "Basic YWRtaW46c2VjcmV0" },
  });
  assert.equal(basic.status, 401);
  assert.equal((await call(host, "GET", "/nowhere")).status, 401);
  assert.equal((await call(host, "GET", "/metrics")).status, 401);

  const create = { body: { id: "orders", config: CONFIG } };
  const viewerCreate = await answer(
    call(host, "POST", "/connectors", { ...create, token: "viewer-secret" }),
  );
  assert.equal(viewerCreate.status, 403);
  assert.equal(viewerCreate.body.error.code, "CA_ERR_HOST_FORBIDDEN");
  assert.equal(
    (await call(host, "POST", "/connectors", {
      ...create,
      token: "admin-secret",
    }))
      .status,
    201,
  );
  for (
    const [method, path] of [
      ["POST", "/connectors/orders/start"],
      ["POST", "/connectors/orders/stop"],
      ["POST", "/connectors/orders/reset"],
      ["DELETE", "/connectors/orders"],
    ]
  ) {
    const { status } = await answer(
      call(host, method!, path!, { token: "viewer-secret" }),
    );
    assert.equal(status, 403, `${method} ${path}`);
  }
  assert.equal(
    (await call(host, "PUT", "/connectors/orders/config", {
      body: CONFIG,
      token: "viewer-secret",
    })).status,
    403,
  );
  assert.equal(runner.runs.length, 0);
  for (
    const path of [
      "/connectors",
      "/connectors/orders",
      "/connectors/orders/history",
      "/metrics",
    ]
  ) {
    const response = await call(host, "GET", path, { token: "viewer-secret" });
    assert.equal(response.status, 200, path);
    await response.body?.cancel();
  }
  assert.equal(
    (await call(host, "POST", "/connectors/orders/start", {
      token: "admin-secret",
    }))
      .status,
    200,
  );
  assert.equal(runner.live("orders").length, 1);
  // Probes need no token.
  assert.equal((await call(host, "GET", "/healthz")).status, 200);
  assert.equal((await call(host, "GET", "/readyz")).status, 200);
  await host.stop();
});

test("no CORS headers unless cors.origin is set; then preflights are answered", async () => {
  const plain = (await newHost()).host;
  const response = await call(plain, "GET", "/connectors", {
    headers: { origin: "https://evil.example" },
  });
  assert.equal(response.headers.get("access-control-allow-origin"), null);
  await response.body?.cancel();
  const preflight = await call(plain, "OPTIONS", "/connectors");
  assert.equal(preflight.status, 405);
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  await preflight.body?.cancel();
  await plain.stop();

  const { host } = await newHost({
    cors: { origin: "https://ops.example" },
    tokens: { admin: ["a"] },
  });
  const options = await call(host, "OPTIONS", "/connectors/x/start");
  assert.equal(options.status, 204);
  assert.equal(
    options.headers.get("access-control-allow-origin"),
    "https://ops.example",
  );
  assert.match(
    options.headers.get("access-control-allow-headers")!,
    /authorization/,
  );
  const get = await call(host, "GET", "/connectors", { token: "a" });
  assert.equal(get.status, 200);
  assert.equal(
    get.headers.get("access-control-allow-origin"),
    "https://ops.example",
  );
  await get.body?.cancel();
  await host.stop();
});

test("20 clients starting and stopping a connector at once leave one pipeline or none, as the last accepted command said", async () => {
  for (let round = 0; round < 5; round++) {
    const { host, runner, definitions } = await newHost();
    await call(host, "POST", "/connectors", {
      body: { id: "orders", config: CONFIG, start: round % 2 === 0 },
    });
    const commands = Array.from(
      { length: 20 },
      (_, i) => (i + round) % 3 === 0 ? "stop" : "start",
    );
    const answers = await Promise.all(
      commands.map((command) =>
        answer(call(host, "POST", `/connectors/orders/${command}`))
      ),
    );
    for (const { status } of answers) assert.equal(status, 200);
    const events = await definitions.read("orders");
    const last = events.filter((e) =>
      e.type === "started" || e.type === "stopped"
    )
      .at(-1);
    const expected = last?.type === "started" ? 1 : 0;
    assert.equal(runner.live("orders").length, expected);
    assert.equal(
      runner.maxLive.get("orders") ?? 0,
      Math.min(1, runner.runs.length),
    );
    assert.equal(stateOf(host, "orders"), expected ? "running" : "stopped");
    // Each accepted change alternates: never two starts or two stops in a row.
    const changes = events.map((e) => e.type).filter((t) =>
      t === "started" || t === "stopped"
    );
    for (let i = 1; i < changes.length; i++) {
      assert.notEqual(changes[i], changes[i - 1], changes.join());
    }
    await host.stop();
  }
});

test("a connector that fails transiently 3 times goes recovering and back to running by itself", async () => {
  const runner = new FakeRunner();
  runner.script = (_, attempt) =>
    attempt <= 3
      ? {
        fail: {
          code: "ECONNREFUSED",
          message: "sink refused",
          transient: true,
        },
        at: attempt === 2 ? "start" : "run",
      }
      : undefined;
  const { host, definitions } = await newHost({
    runner,
    recovery: { initialDelayMs: 1, maxDelayMs: 4 },
  });
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  const seen = new Set<string>();
  await waitFor("the 4th run", () => {
    seen.add(stateOf(host, "orders")!);
    return runner.runs.length === 4 && stateOf(host, "orders") === "running";
  });
  assert.ok(seen.has("recovering") || seen.has("activating"));
  const types = await historyTypes(definitions, "orders");
  assert.deepEqual(types, [
    "created",
    "started",
    "failed",
    "recovering",
    "failed",
    "recovering",
    "failed",
    "recovering",
  ]);
  const delays = (await definitions.read("orders"))
    .flatMap((e) => e.type === "recovering" ? [e.data] : []);
  assert.deepEqual(delays, [
    { attempt: 1, delayMs: 1 },
    { attempt: 2, delayMs: 2 },
    { attempt: 3, delayMs: 4 },
  ]);
  const details = await answer(call(host, "GET", "/connectors/orders"));
  assert.equal(details.body.state, "running");
  assert.equal(details.body.restarts, 3);
  assert.equal(details.body.enabled, true);
  assert.equal(runner.live("orders").length, 1);
  const metrics = await (await call(host, "GET", "/metrics")).text();
  assert.ok(
    metrics.includes('ca_connector_restarts_total{connector="orders"} 3'),
  );
  await host.stop();
});

test("a config error leaves a connector degraded with its error; a manual start tries again", async () => {
  const runner = new FakeRunner();
  runner.script = (_, attempt) =>
    attempt === 1
      ? {
        fail: {
          code: "CA_ERR_MISSING_PACKAGE",
          message: 'Cannot load "redis": install it',
          transient: false,
        },
        at: "start",
      }
      : undefined;
  const { host } = await newHost({ runner, recovery: { initialDelayMs: 1 } });
  const created = await answer(
    call(host, "POST", "/connectors", {
      body: { id: "orders", config: CONFIG, start: true },
    }),
  );
  assert.equal(created.status, 201);
  assert.equal(created.body.state, "degraded");
  assert.deepEqual(created.body.error, {
    code: "CA_ERR_MISSING_PACKAGE",
    message: 'Cannot load "redis": install it',
  });
  assert.equal(runner.runs.length, 1, "no retry of a config error");
  const retried = await answer(call(host, "POST", "/connectors/orders/start"));
  assert.equal(retried.body.state, "running");
  assert.equal(retried.body.error, null);
  assert.equal(runner.live("orders").length, 1);
  await host.stop();
});

test("a connector whose retries run out within the window ends degraded", async () => {
  const runner = new FakeRunner();
  runner.script = () => ({
    fail: { code: "CA_ERR_CONNECTOR", message: "sink down", transient: true },
    at: "run",
  });
  const { host } = await newHost({
    runner,
    recovery: { initialDelayMs: 1, maxRetries: 2, windowMs: 60_000 },
  });
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  await waitFor("degraded", () => stateOf(host, "orders") === "degraded");
  assert.equal(runner.runs.length, 3, "the first run and 2 retries");
  const [status] = host.connectors();
  assert.deepEqual(status!.error, {
    code: "CA_ERR_CONNECTOR",
    message: "sink down",
  });
  assert.equal(status!.enabled, true, "failing does not disable");
  // A stop of a degraded connector stops it for good.
  const stopped = await answer(call(host, "POST", "/connectors/orders/stop"));
  assert.equal(stopped.body.state, "stopped");
  await host.stop();
});

test("a pipeline that finishes leaves its connector stopped and disabled", async () => {
  const { host, runner, definitions } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  runner.runs[0]!.finish();
  await waitFor("stopped", () => stateOf(host, "orders") === "stopped");
  assert.equal(host.connectors()[0]!.enabled, false);
  await waitFor(
    "the stopped event",
    async () =>
      (await historyTypes(definitions, "orders")).at(-1) === "stopped",
  );
  await host.stop();
});

test("a second host on the same store rebuilds the connectors and starts the enabled ones only", async () => {
  const definitions = memoryDefinitionStore();
  const first = await newHost({ definitions });
  const post = (id: string, start: boolean) =>
    call(first.host, "POST", "/connectors", {
      body: { id, config: CONFIG, start },
    });
  await post("enabled", true);
  await post("never-started", false);
  await post("stopped", true);
  await call(first.host, "POST", "/connectors/stopped/stop");
  await post("deleted", false);
  await call(first.host, "DELETE", "/connectors/deleted");
  await post("reconfigured", true);
  await call(first.host, "PUT", "/connectors/reconfigured/config", {
    body: { processors: [{ use: "generate" }] },
  });
  await post("degraded", true);
  await definitions.append("degraded", [{
    type: "failed",
    connector: "degraded",
    at: new Date().toISOString(),
    data: { error: { code: "X", message: "broken" } },
  }], 2);
  const before = (await definitions.read("enabled")).length;
  await first.host.stop();
  assert.equal(
    (await definitions.read("enabled")).length,
    before,
    "stop() appends no events",
  );

  const second = await newHost({ definitions });
  await waitFor(
    "the enabled ones running",
    () =>
      second.runner.runs.every((run) => run.live) &&
      second.host.connectors().every((s) => s.state !== "activating"),
  );
  const states = Object.fromEntries(
    second.host.connectors().map((s) => [s.id, [s.state, s.enabled]]),
  );
  assert.deepEqual(states, {
    "degraded": ["running", true],
    "enabled": ["running", true],
    "never-started": ["stopped", false],
    "reconfigured": ["running", true],
    "stopped": ["stopped", false],
  });
  const started = second.runner.runs.map((run) => run.id).sort();
  assert.deepEqual(started, ["degraded", "enabled", "reconfigured"]);
  assert.deepEqual(
    second.runner.runs.find((run) => run.id === "reconfigured")!.config,
    { id: "reconfigured", processors: [{ use: "generate" }] },
  );
  const history = await answer(
    call(second.host, "GET", "/connectors/stopped/history"),
  );
  assert.deepEqual(
    history.body.events.map((e: { type: string }) => e.type),
    ["created", "started", "stopped"],
  );
  await second.host.stop();
});

test("two hosts changing the same connector: the stale one gets 409 and reloads it", async () => {
  const definitions = memoryDefinitionStore();
  const a = await newHost({ definitions });
  await call(a.host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  const b = await newHost({ definitions });
  await waitFor("b runs it too", () => b.runner.live("orders").length === 1);

  const stoppedByA = await answer(
    call(a.host, "POST", "/connectors/orders/stop"),
  );
  assert.equal(stoppedByA.status, 200);
  const stale = await answer(call(b.host, "POST", "/connectors/orders/stop"));
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, "CA_ERR_WRONG_EXPECTED_VERSION");
  assert.match(stale.body.error.message, /^Cannot stop connector "orders"/);
  const reloaded = await answer(call(b.host, "GET", "/connectors/orders"));
  assert.equal(reloaded.body.version, 3);
  assert.equal(reloaded.body.enabled, false);
  assert.equal(reloaded.body.state, "stopped");
  assert.equal(b.runner.live("orders").length, 0, "b follows the stream");

  // A reconfiguration from a stale version is refused too, and nothing stored.
  await call(a.host, "PUT", "/connectors/orders/config", {
    body: { processors: [{ use: "generate" }] },
  });
  const staleConfig = await answer(
    call(b.host, "PUT", "/connectors/orders/config", { body: CONFIG }),
  );
  assert.equal(staleConfig.status, 409);
  const events = await definitions.read("orders");
  assert.deepEqual(events.map((e) => e.type), [
    "created",
    "started",
    "stopped",
    "reconfigured",
  ]);
  assert.deepEqual(
    (await answer(call(b.host, "GET", "/connectors/orders"))).body.config,
    { id: "orders", processors: [{ use: "generate" }] },
  );
  // Creating an id another host created meanwhile: 409, and b learns of it.
  await call(a.host, "POST", "/connectors", {
    body: { id: "new", config: CONFIG },
  });
  const exists = await answer(
    call(b.host, "POST", "/connectors", {
      body: { id: "new", config: CONFIG },
    }),
  );
  assert.equal(exists.status, 409);
  assert.equal((await call(b.host, "GET", "/connectors/new")).status, 200);
  await a.host.stop();
  await b.host.stop();
});

/**
 * The store, giving every event back with its keys in reverse order at
 * every depth, as PostgreSQL's jsonb gives keys back in its own order.
 */
function reordering(store: DefinitionStore): DefinitionStore {
  const reversed = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(reversed)
      : value !== null && typeof value === "object"
      ? Object.fromEntries(
        Object.entries(value).reverse().map(([key, v]) => [key, reversed(v)]),
      )
      : value;
  return {
    append: (connector, events, expectedVersion, options) =>
      store.append(connector, events, expectedVersion, options),
    read: async (connector, options) =>
      (await store.read(connector, options)).map((event) =>
        reversed(event) as StoredDefinitionEvent
      ),
    list: (options) => store.list(options),
    close: () => store.close(),
  };
}

test("a reload after a version conflict leaves a running connector running when its stored config is the same with its keys in another order", async () => {
  const definitions = reordering(memoryDefinitionStore());
  const { host, runner } = await newHost({ definitions });
  const config = {
    processors: [{ name: "numbers", use: "generate", args: { count: 3 } }],
    checkpoint: { everyRecords: 10, everyMs: 1000 },
  };
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config, start: true },
  });
  await waitFor("it runs", () => runner.live("orders").length === 1);
  const stored = (await definitions.read("orders"))[0]!;
  assert.notEqual(
    JSON.stringify(stored.data),
    JSON.stringify({ config: { id: "orders", ...config } }),
    "the store gives the keys back in another order",
  );
  // Another host started it too: this host's version is stale.
  await definitions.append("orders", [{
    type: "started",
    connector: "orders",
    at: new Date().toISOString(),
    data: {},
  }], 2);
  const stale = await answer(call(host, "POST", "/connectors/orders/stop"));
  assert.equal(stale.status, 409);
  assert.equal(runner.runs.length, 1, "not restarted: nothing changed");
  assert.equal(runner.live("orders").length, 1);
  assert.equal(stateOf(host, "orders"), "running");

  // A config that did change restarts it on the next reload.
  await definitions.append("orders", [{
    type: "reconfigured",
    connector: "orders",
    at: new Date().toISOString(),
    data: {
      config: {
        id: "orders",
        ...config,
        checkpoint: { everyRecords: 20, everyMs: 1000 },
      },
    },
  }], 3);
  const again = await answer(call(host, "POST", "/connectors/orders/stop"));
  assert.equal(again.status, 409);
  await waitFor(
    "the new config runs",
    () => runner.live("orders").length === 1,
  );
  assert.equal(runner.runs.length, 2, "restarted once, with the new config");
  assert.deepEqual(
    (runner.runs[1]!.config.checkpoint as { everyRecords: number })
      .everyRecords,
    20,
  );
  await host.stop();
});

test("after stop() the host refuses changes with 503 and still answers reads", async () => {
  const { host, runner } = await newHost();
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  await host.stop();
  assert.equal(runner.live("orders").length, 0);
  assert.equal(runner.runs[0]!.stoppedByHost, true);
  assert.equal(stateOf(host, "orders"), "stopped");
  assert.equal(host.connectors()[0]!.enabled, true, "still enabled");
  const start = await answer(call(host, "POST", "/connectors/orders/start"));
  assert.equal(start.status, 503);
  assert.equal(start.body.error.code, "CA_ERR_HOST_STOPPED");
  assert.equal((await call(host, "GET", "/connectors/orders")).status, 200);
});

test("the constructor refuses wrong options with a TypeError or RangeError", () => {
  const definitions = memoryDefinitionStore();
  const runner = new FakeRunner();
  assert.throws(
    () => new ConnectorHost({ definitions, runner: {} as FakeRunner }),
    (error: Error) =>
      error instanceof TypeError &&
      error.message.startsWith("Cannot create the connector host: runner"),
  );
  assert.throws(
    () => new ConnectorHost({ definitions, runner, maxBodyBytes: 0 }),
    RangeError,
  );
  assert.throws(
    () =>
      new ConnectorHost({
        definitions,
        runner,
        recovery: { maxRetries: 1.5 },
      }),
    RangeError,
  );
  assert.throws(
    () =>
      new ConnectorHost({
        definitions,
        runner,
        tokens: { admin: "secret" as unknown as string[] },
      }),
    TypeError,
  );
  assert.throws(
    () =>
      new ConnectorHost({
        definitions,
        runner: Object.assign(new FakeRunner(), { remove: "drop" as never }),
      }),
    /^TypeError: Cannot create the connector host: runner\.remove must be a function when given, got "drop"$/,
  );
});

test("recordsPerSecond is the rate of records read over the last seconds, by the host's clock", async () => {
  let clock = Date.parse("2026-03-01T12:00:00.000Z");
  const { host, runner } = await newHost({ now: () => clock });
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  assert.equal(host.connectors()[0]!.recordsPerSecond, 0);
  clock += 2000;
  runner.runs[0]!.progress = { ...runner.runs[0]!.progress, recordsRead: 500 };
  const details = await answer(call(host, "GET", "/connectors/orders"));
  assert.equal(details.body.recordsPerSecond, 250);
  assert.equal(details.body.updatedAt, "2026-03-01T12:00:00.000Z");
  await host.stop();
});

test("failures older than the retry window do not count against maxRetries", async () => {
  let clock = 0;
  const runner = new FakeRunner();
  runner.script = () => ({
    fail: { code: "CA_ERR_CONNECTOR", message: "flaky", transient: true },
    at: "run",
  });
  // Every reading of the clock is 2 s later: each failure is alone in its 1 s window.
  const { host } = await newHost({
    runner,
    now: () => (clock += 2000),
    recovery: { initialDelayMs: 1, maxRetries: 1, windowMs: 1000 },
  });
  await call(host, "POST", "/connectors", {
    body: { id: "orders", config: CONFIG, start: true },
  });
  await waitFor("5 runs", () => runner.runs.length >= 5);
  assert.notEqual(stateOf(host, "orders"), "degraded");
  await host.stop();
  assert.equal(runner.live("orders").length, 0);
});
