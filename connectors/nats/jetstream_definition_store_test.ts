// Copyright 2026 the @ca/streams authors. MIT license.
// jetStreamDefinitionStore() against the real NATS server (CA_TEST_NATS_URL
// overrides nats://127.0.0.1:4222): the definition store conformance suite
// (reopen is a store over a second connection, as another host would open
// it), then the stream and its messages, the expected last subject
// sequence that refuses the loser of a race, a connection of its own from
// a URL, and the registry's definition. A missing server fails every test
// with how to start one. Each case makes a stream of its own, deleted at
// the end. Runs on Deno and Node.

import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { DefinitionStoreDefinition } from "../../src/config/define_definition_store.ts";
import type { DefinitionEvent } from "../../src/definition_store/definition_event.ts";
import type { DefinitionStore } from "../../src/definition_store/definition_store.ts";
import { definitionStoreConformance } from "../../src/testing/definition_store_conformance.ts";
import { jetStreamDefinitionStore } from "./jetstream_definition_store.ts";
import { jetStreamDefinitionStoreDefinitions } from "./jetstream_definition_store_definition.ts";
import { NATS_URL, testConnection, uniqueName } from "./_nats_test_helpers.ts";

const AT = "2026-03-01T12:00:00.000Z";

const connected = testConnection();
connected.catch(() => {}); // every test awaits it and fails with the message
const other = testConnection();
other.catch(() => {});

/** Streams made by the tests, deleted after the run. */
const streams: string[] = [];
after(async () => {
  const nc = await connected.catch(() => undefined);
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const name of streams) await jsm.streams.delete(name).catch(() => {});
    await nc.close();
  }
  await (await other.catch(() => undefined))?.close();
});

/** A stream name and a subject prefix no other run uses. */
function fresh(): { stream: string; subjectPrefix: string } {
  const stream = uniqueName("CA_TEST_DEFS");
  streams.push(stream);
  return { stream, subjectPrefix: stream.toLowerCase().replaceAll("_", ".") };
}

async function deleteStream(stream: string): Promise<void> {
  const jsm = await jetstreamManager(await connected);
  await jsm.streams.delete(stream).catch(() => {});
}

definitionStoreConformance({
  name: "jetStreamDefinitionStore()",
  durable: true,
  async open() {
    const nc = await connected;
    const second = await other;
    const names = fresh();
    return {
      store: jetStreamDefinitionStore({ connection: nc, ...names }),
      reopen: () => jetStreamDefinitionStore({ connection: second, ...names }),
      close: () => deleteStream(names.stream),
    };
  },
}, { test });

function created(connector: string): DefinitionEvent {
  return {
    type: "created",
    connector,
    at: AT,
    data: { config: { id: connector } },
  };
}
function started(connector: string): DefinitionEvent {
  return { type: "started", connector, at: AT, data: {} };
}
function stopped(connector: string): DefinitionEvent {
  return { type: "stopped", connector, at: AT, data: {} };
}

/** Every message of a stream: subject and body, in order. */
async function messages(
  nc: NatsConnection,
  stream: string,
): Promise<Array<{ subject: string; body: unknown }>> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  const out = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message !== null) {
      out.push({ subject: message.subject, body: message.json() });
    }
  }
  return out;
}

describe("jetStreamDefinitionStore() in NATS", () => {
  test("one message per append on <prefix>.<base64url of the id>, holding the first version and the events", async () => {
    const nc = await connected;
    const names = fresh();
    const store = jetStreamDefinitionStore({ connection: nc, ...names });
    await store.append("a/b ü", [created("a/b ü"), started("a/b ü")], 0);
    await store.append("a/b ü", [stopped("a/b ü")], 2);
    const subject = `${names.subjectPrefix}.YS9iIMO8`; // base64url("a/b ü")
    assert.deepEqual(await messages(nc, names.stream), [
      {
        subject,
        body: { first: 1, events: [created("a/b ü"), started("a/b ü")] },
      },
      { subject, body: { first: 3, events: [stopped("a/b ü")] } },
    ]);
    const jsm = await jetstreamManager(nc);
    const { config } = await jsm.streams.info(names.stream);
    assert.deepEqual(
      {
        subjects: config.subjects,
        storage: config.storage,
        num_replicas: config.num_replicas,
        deny_delete: config.deny_delete,
        deny_purge: config.deny_purge,
      },
      {
        subjects: [`${names.subjectPrefix}.>`],
        storage: "file",
        num_replicas: 1,
        deny_delete: true,
        deny_purge: true,
      },
    );
    await store.close();
  });

  test("the defaults are the stream CA_DEFINITIONS on ca.definitions.>", async () => {
    const nc = await connected;
    const jsm = await jetstreamManager(nc);
    const existed = await jsm.streams.info("CA_DEFINITIONS").then(
      () => true,
      () => false,
    );
    if (!existed) streams.push("CA_DEFINITIONS");
    const store = jetStreamDefinitionStore({ connection: nc });
    const id = `default-${crypto.randomUUID()}`;
    const version = (await store.read(id)).length;
    assert.equal(version, 0);
    await store.append(id, [created(id)], 0);
    const { config } = await jsm.streams.info("CA_DEFINITIONS");
    assert.deepEqual(config.subjects, ["ca.definitions.>"]);
    assert.ok((await store.list()).some((s) => s.connector === id));
    await store.close();
  });

  test("an append whose subject moved on between its read and its publish gets WrongExpectedVersionError", async () => {
    const nc = await connected;
    const names = fresh();
    const rival = jetStreamDefinitionStore({
      connection: await other,
      ...names,
    });
    await rival.append("orders", [created("orders")], 0);
    // The store's connection lets the rival append right after the store
    // read the subject's last message, before the store publishes.
    let armed = true;
    const interposed = new Proxy(nc, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== "request") {
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async (...args: Parameters<NatsConnection["request"]>) => {
          const reply = await target.request(...args);
          if (armed && args[0].includes(".STREAM.MSG.GET.")) {
            armed = false;
            await rival.append("orders", [started("orders")], 1);
          }
          return reply;
        };
      },
    });
    const store = jetStreamDefinitionStore({
      connection: interposed,
      ...names,
    });
    await assert.rejects(store.append("orders", [stopped("orders")], 1), {
      name: "WrongExpectedVersionError",
      code: "CA_ERR_WRONG_EXPECTED_VERSION",
      expectedVersion: 1,
      actualVersion: 2,
      message:
        'Cannot append to connector "orders": expected version 1, the stream is at 2',
    });
    assert.equal(armed, false);
    assert.deepEqual(
      (await store.read("orders")).map((e) => `${e.version} ${e.type}`),
      ["1 created", "2 started"],
    );
    await Promise.all([store.close(), rival.close()]);
  });

  test("read() gives a long stream whole, in order, and list() every stream", async () => {
    const nc = await connected;
    const names = fresh();
    const store = jetStreamDefinitionStore({ connection: nc, ...names });
    let version = await store.append("busy", [created("busy")], 0);
    for (let i = 0; i < 300; i++) {
      version = await store.append(
        "busy",
        i % 2 ? [stopped("busy")] : [started("busy"), stopped("busy")],
        version,
      );
    }
    for (let i = 0; i < 40; i++) {
      await store.append(`c${i}`, [created(`c${i}`)], 0);
    }
    await store.append("c7", [{
      type: "deleted",
      connector: "c7",
      at: AT,
      data: {},
    }], 1);
    const read = await store.read("busy");
    assert.equal(read.length, version);
    assert.deepEqual(read.map((e) => e.version), read.map((_, i) => i + 1));
    const listed = await store.list();
    assert.equal(listed.length, 41);
    assert.deepEqual(listed[0], { connector: "busy", version, deleted: false });
    assert.deepEqual(
      listed.filter((s) => s.deleted).map((s) => s.connector),
      ["c7"],
    );
    await store.close();
  });

  test("an append larger than the server's max_payload is a RangeError and stores nothing", async () => {
    const nc = await connected;
    const names = fresh();
    const store = jetStreamDefinitionStore({ connection: nc, ...names });
    const big = "x".repeat(nc.info!.max_payload);
    await assert.rejects(
      store.append("big", [{
        type: "created",
        connector: "big",
        at: AT,
        data: { config: { big } },
      }], 0),
      (error: Error) =>
        error instanceof RangeError && /max_payload/.test(error.message),
    );
    assert.deepEqual(await store.list(), []);
    await store.close();
  });

  test("an existing stream that does not take the subjects fails with CA_ERR_NATS_CONNECT", async () => {
    const nc = await connected;
    const names = fresh();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: names.stream,
      subjects: [`${names.subjectPrefix}-elsewhere.>`],
    });
    const store = jetStreamDefinitionStore({ connection: nc, ...names });
    await assert.rejects(
      store.list(),
      (error: Error & { code?: string }) =>
        error.code === "CA_ERR_NATS_CONNECT" &&
        /does not take the subjects/.test(error.message),
    );
    await store.close();
  });

  test("a URL gives the store its own connection, closed by close(); a given connection stays open", async () => {
    const names = fresh();
    const own = jetStreamDefinitionStore({ url: NATS_URL, ...names });
    await own.append("orders", [created("orders")], 0);
    await own.close();
    await assert.rejects(own.list(), /the store is closed/);
    const given = await testConnection();
    const borrowing = jetStreamDefinitionStore({ connection: given, ...names });
    assert.equal((await borrowing.read("orders")).length, 1);
    await borrowing.close();
    assert.equal(given.isClosed(), false);
    await given.close();
  });

  test("a URL nobody listens on fails the call with CA_ERR_NATS_CONNECT", async () => {
    const store = jetStreamDefinitionStore({
      url: "nats://127.0.0.1:1",
      connectOptions: { maxReconnectAttempts: 0 },
    });
    await assert.rejects(
      store.list(),
      (error: Error & { code?: string }) =>
        error.code === "CA_ERR_NATS_CONNECT" &&
        /^Cannot connect the jetstream definition store to nats:\/\/127\.0\.0\.1:1/
          .test(error.message),
    );
    await store.close();
  });

  test("a signal gives up a call still waiting on the server", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) =>
      silent.listen(0, "127.0.0.1", resolve)
    );
    const { port } = silent.address() as { port: number };
    let store: DefinitionStore | undefined;
    try {
      store = jetStreamDefinitionStore({
        url: `nats://127.0.0.1:${port}`,
        connectOptions: { timeout: 2_000, maxReconnectAttempts: 0 },
      });
      const controller = new AbortController();
      const reason = new Error("given up");
      const pending = store.append("orders", [created("orders")], 0, {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(reason), 100);
      await assert.rejects(pending, (error) => error === reason);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await store?.close().catch(() => {});
    }
  });

  test("bad options are TypeError or RangeError", () => {
    assert.throws(() => jetStreamDefinitionStore({ stream: "a.b" }), TypeError);
    assert.throws(
      () => jetStreamDefinitionStore({ subjectPrefix: "a.*" }),
      TypeError,
    );
    assert.throws(
      () => jetStreamDefinitionStore({ subjectPrefix: "a..b" }),
      TypeError,
    );
    assert.throws(
      () => jetStreamDefinitionStore({ connection: {} as never }),
      TypeError,
    );
    assert.throws(() => jetStreamDefinitionStore({ replicas: 6 }), RangeError);
  });
});

describe("the jetstream definition store definition", () => {
  const definition =
    jetStreamDefinitionStoreDefinitions()[0] as DefinitionStoreDefinition<
      Record<string, unknown>
    >;

  test("is the definitionStore jetstream", () => {
    assert.equal(definition.kind, "definitionStore");
    assert.equal(definition.name, "jetstream");
  });

  test("opens a store over the stream its args name", async () => {
    const nc = await connected;
    const names = fresh();
    const args = await definition.args["~standard"].validate({
      url: NATS_URL,
      ...names,
    });
    assert.ok(!("issues" in args && args.issues), JSON.stringify(args));
    const store = await definition.create(
      (args as { value: Record<string, unknown> }).value,
      { baseUrl: "file:///", signal: new AbortController().signal },
    );
    await store.append("orders", [created("orders")], 0);
    await store.close();
    const reader = jetStreamDefinitionStore({ connection: nc, ...names });
    assert.deepEqual(await reader.list(), [
      { connector: "orders", version: 1, deleted: false },
    ]);
    await reader.close();
  });

  test("refuses args it can check without connecting", async () => {
    for (
      const bad of [
        { url: "http://127.0.0.1:4222" },
        { stream: "a.b" },
        { subjectPrefix: "a.>" },
        { replicas: 0 },
        { replicas: 7 },
        { unknown: true },
      ]
    ) {
      const result = await definition.args["~standard"].validate(bad);
      assert.ok(
        "issues" in result && result.issues !== undefined,
        `${JSON.stringify(bad)} must be refused`,
      );
    }
  });
});
