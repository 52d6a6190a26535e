// Copyright 2026 the @ca/streams authors. MIT license.
// The host's live tap: host.tap(), host.tapRequest() (the token in a
// header or a subprotocol, the close codes) and the 426 of a plain GET,
// with a runner whose connectors have one tappable stage, "mark".
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import { ConnectorHost } from "./connector_host.ts";
import type { ConnectorRunner, RunningConnector } from "./connector_runner.ts";
import { TapError } from "./tap_error.ts";
import type { TapUpgrade } from "./tap_upgrade.ts";

const ADMIN = "admin-token";
const VIEWER = "viewer-token";

/** A runner whose runs have a stage "mark" (and a sink "out"), pushed by the test. */
function tapRunner(options: { tap?: boolean } = {}) {
  const listeners = new Set<(records: readonly unknown[]) => void>();
  const runner: ConnectorRunner = {
    check: () => Promise.resolve([]),
    reset: () => Promise.resolve(),
    start(): RunningConnector {
      let end!: () => void;
      const ended = new Promise<undefined>((resolve) =>
        end = () => resolve(undefined)
      );
      const stop = () => (end(), ended.then(() => {}));
      const running: RunningConnector = {
        started: Promise.resolve(),
        ended,
        stop,
        abort: stop,
        progress: () => ({
          recordsRead: 0,
          recordsWritten: 0,
          recordsDeadLettered: 0,
          position: null,
        }),
      };
      if (options.tap === false) return running;
      running.tap = (stage, listener) => {
        if (stage === "out") {
          throw new TapError(
            "CA_ERR_HOST_TAP_UNSUPPORTED",
            `Cannot tap stage "out": it is a sink`,
          );
        }
        if (stage !== "mark") {
          throw new TapError(
            "CA_ERR_HOST_UNKNOWN_STAGE",
            `Cannot tap stage "${stage}": no such stage`,
          );
        }
        listeners.add(listener);
        return () => listeners.delete(listener);
      };
      return running;
    },
  };
  return {
    runner,
    push(records: readonly unknown[]) {
      for (const listener of listeners) listener(records);
    },
    get listeners() {
      return listeners.size;
    },
  };
}

async function hostWith(
  runner: ConnectorRunner,
  connectors: { id: string; start: boolean }[] = [],
): Promise<ConnectorHost> {
  const host = new ConnectorHost({
    definitions: memoryDefinitionStore(),
    runner,
    tokens: { admin: [ADMIN], viewer: [VIEWER] },
  });
  await host.start();
  for (const { id, start } of connectors) {
    const created = await host.fetch(
      new Request("http://host/connectors", {
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ id, config: { processors: [] }, start }),
      }),
    );
    assert.equal(created.status, 201, await created.text());
  }
  return host;
}

function upgrade(
  host: ConnectorHost,
  path: string,
  headers: Record<string, string> = {},
): Promise<TapUpgrade> {
  return host.tapRequest(
    new Request(`http://host${path}`, {
      headers: { upgrade: "websocket", connection: "upgrade", ...headers },
    }),
  );
}

test("host.tap() streams the sampled records of a running connector's stage and ends when it stops", async () => {
  const stage = tapRunner();
  const host = await hostWith(stage.runner, [{ id: "orders", start: true }]);
  const stream = await host.tap("orders", "mark", { every: 2 });
  const reader = stream.getReader();
  stage.push([{ id: 0 }, { id: 1 }, { id: 2 }]);
  assert.deepEqual((await reader.read()).value, {
    records: [{ id: 0 }, { id: 2 }],
    dropped: 0,
  });
  const stopped = await host.fetch(
    new Request("http://host/connectors/orders/stop", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}` },
    }),
  );
  assert.equal(stopped.status, 200);
  assert.equal((await reader.read()).done, true);
  assert.equal(stage.listeners, 0);
  await host.stop();
});

test("host.tap() refuses an unknown connector, a stopped one, an unknown stage, a sink, and a runner without taps, each with its code", async () => {
  const stage = tapRunner();
  const host = await hostWith(stage.runner, [
    { id: "orders", start: true },
    { id: "idle", start: false },
  ]);
  const refused = async (
    id: string,
    name: string,
    code: string,
    message: RegExp,
  ) => {
    await assert.rejects(
      host.tap(id, name),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      },
    );
  };
  await refused(
    "nope",
    "mark",
    "CA_ERR_HOST_UNKNOWN_CONNECTOR",
    /no such connector/,
  );
  await refused(
    "idle",
    "mark",
    "CA_ERR_HOST_NOT_RUNNING",
    /^Cannot tap stage "mark" of connector "idle": it is stopped; only a running connector can be tapped$/,
  );
  await refused("orders", "nope", "CA_ERR_HOST_UNKNOWN_STAGE", /no such stage/);
  await refused("orders", "out", "CA_ERR_HOST_TAP_UNSUPPORTED", /it is a sink/);
  await assert.rejects(host.tap("orders", "mark", { every: -1 }), RangeError);
  await host.stop();

  const plain = await hostWith(tapRunner({ tap: false }).runner, [
    { id: "orders", start: true },
  ]);
  await assert.rejects(
    plain.tap("orders", "mark"),
    (error: Error & { code?: string }) =>
      error.code === "CA_ERR_HOST_TAP_UNSUPPORTED" &&
      /its runner has no tap/.test(error.message),
  );
  await plain.stop();
});

test("host.tapRequest(): a viewer's token as the subprotocol ca.token.TOKEN opens the tap and selects ca.tap; a header with no subprotocol selects none", async () => {
  const stage = tapRunner();
  const host = await hostWith(stage.runner, [{ id: "orders", start: true }]);
  const viaProtocol = await upgrade(
    host,
    "/connectors/orders/tap?stage=mark&sample=1",
    {
      "sec-websocket-protocol": `ca.tap, ca.token.${VIEWER}`,
    },
  );
  assert.equal(viaProtocol.action, "open");
  assert.equal(viaProtocol.action === "open" && viaProtocol.protocol, "ca.tap");
  const viaHeader = await upgrade(
    host,
    "/connectors/orders/tap?stage=mark&sample=5/s",
    {
      authorization: `Bearer ${ADMIN}`,
    },
  );
  assert.equal(viaHeader.action, "open");
  assert.equal(viaHeader.action === "open" && viaHeader.protocol, undefined);
  stage.push([{ id: 1 }]);
  for (const answer of [viaProtocol, viaHeader]) {
    if (answer.action !== "open") continue;
    const reader = answer.messages.getReader();
    assert.deepEqual((await reader.read()).value, {
      records: [{ id: 1 }],
      dropped: 0,
    });
    await reader.cancel();
  }
  assert.equal(stage.listeners, 0);
  await host.stop();
});

test("host.tapRequest(): no token or a wrong one is refused with 401 before the upgrade; subprotocols without ca.tap 400; another path 404", async () => {
  const host = await hostWith(tapRunner().runner, [{
    id: "orders",
    start: true,
  }]);
  const refusal = async (
    answer: Promise<TapUpgrade>,
    status: number,
    code: string,
  ) => {
    const resolved = await answer;
    assert.equal(resolved.action, "refuse");
    if (resolved.action !== "refuse") return;
    assert.equal(resolved.response.status, status);
    const body = await resolved.response.json();
    assert.equal(body.error.code, code);
    return { body, headers: resolved.response.headers };
  };
  const none = await refusal(
    upgrade(host, "/connectors/orders/tap?stage=mark"),
    401,
    "CA_ERR_HOST_UNAUTHORIZED",
  );
  assert.match(
    none!.body.error.message,
    /send Authorization: Bearer TOKEN, or the subprotocols ca\.tap and ca\.token\.TOKEN/,
  );
  assert.equal(none!.headers.get("www-authenticate"), 'Bearer realm="ca"');
  const wrong = await refusal(
    upgrade(host, "/connectors/orders/tap?stage=mark", {
      "sec-websocket-protocol": "ca.tap, ca.token.guess",
    }),
    401,
    "CA_ERR_HOST_UNAUTHORIZED",
  );
  assert.doesNotMatch(
    JSON.stringify(wrong!.body),
    /guess/,
    "the token is not echoed",
  );
  // An unknown connector is not told to whom has no token.
  await refusal(
    upgrade(host, "/connectors/nope/tap?stage=x"),
    401,
    "CA_ERR_HOST_UNAUTHORIZED",
  );
  await refusal(
    upgrade(host, "/connectors/orders/tap?stage=mark", {
      "sec-websocket-protocol": `ca.token.${VIEWER}`,
    }),
    400,
    "CA_ERR_HOST_BAD_REQUEST",
  );
  await refusal(
    upgrade(host, "/connectors/orders?stage=mark", {
      authorization: `Bearer ${VIEWER}`,
    }),
    404,
    "CA_ERR_HOST_NOT_FOUND",
  );
  await host.stop();
});

test("host.tapRequest(): what an authorized client cannot tap is an upgrade closed with 4000 + the status and the reason", async () => {
  const host = await hostWith(tapRunner().runner, [
    { id: "orders", start: true },
    { id: "idle", start: false },
  ]);
  const headers = { "sec-websocket-protocol": `ca.tap, ca.token.${VIEWER}` };
  const closed = async (
    path: string,
    code: number,
    errorCode: string,
    reason: RegExp,
  ) => {
    const answer = await upgrade(host, path, headers);
    assert.equal(answer.action, "close", path);
    if (answer.action !== "close") return;
    assert.equal(answer.protocol, "ca.tap");
    assert.equal(answer.code, code, path);
    assert.equal(answer.error.code, errorCode);
    assert.match(answer.reason, reason);
    assert.ok(new TextEncoder().encode(answer.reason).length <= 123);
  };
  await closed(
    "/connectors/orders/tap?stage=nope",
    4404,
    "CA_ERR_HOST_UNKNOWN_STAGE",
    /^Cannot tap stage "nope": no such stage$/,
  );
  await closed(
    "/connectors/nope/tap?stage=mark",
    4404,
    "CA_ERR_HOST_UNKNOWN_CONNECTOR",
    /no such connector/,
  );
  await closed(
    "/connectors/idle/tap?stage=mark",
    4409,
    "CA_ERR_HOST_NOT_RUNNING",
    /it is stopped/,
  );
  await closed(
    "/connectors/orders/tap?stage=out",
    4409,
    "CA_ERR_HOST_TAP_UNSUPPORTED",
    /sink/,
  );
  await closed(
    "/connectors/orders/tap",
    4400,
    "CA_ERR_HOST_BAD_REQUEST",
    /name the stage/,
  );
  await closed(
    "/connectors/orders/tap?stage=mark&sample=often",
    4400,
    "CA_ERR_HOST_BAD_REQUEST",
    /sample must be N/,
  );
  await closed(
    `/connectors/orders/tap?stage=${"x".repeat(300)}`,
    4404,
    "CA_ERR_HOST_UNKNOWN_STAGE",
    /\.\.\.$/,
  );
  await host.stop();
  await closed(
    "/connectors/orders/tap?stage=mark",
    4503,
    "CA_ERR_HOST_STOPPED",
    /the host was stopped/,
  );
});

test("a plain GET /connectors/{id}/tap is 426 Upgrade Required, for a viewer too", async () => {
  const host = await hostWith(tapRunner().runner, [{
    id: "orders",
    start: true,
  }]);
  const response = await host.fetch(
    new Request("http://host/connectors/orders/tap?stage=mark", {
      headers: { authorization: `Bearer ${VIEWER}` },
    }),
  );
  assert.equal(response.status, 426);
  assert.equal(response.headers.get("upgrade"), "websocket");
  const body = await response.json();
  assert.equal(body.error.code, "CA_ERR_HOST_UPGRADE_REQUIRED");
  await host.stop();
});
