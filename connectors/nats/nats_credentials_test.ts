// Copyright 2026 the @ca/streams authors. MIT license.
// Wrong credentials: a private nats-server with a user and a password, on a
// spare port (CA_TEST_NATS_SERVER overrides /usr/sbin/nats-server).

import { test } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { jetStreamSink } from "./jetstream_sink.ts";
import { jetStreamSource } from "./jetstream_source.ts";
import { NatsConnectError } from "./nats_connect_error.ts";
import { natsSink } from "./nats_sink.ts";
import { privateServer } from "./_nats_test_helpers.ts";

test("the NATS connectors name wrong credentials, never the password", {
  timeout: 30_000,
}, async () => {
  const server = await privateServer(["--user", "app", "--pass", "right-one"]);
  try {
    const url = server.url.replace("nats://", "nats://app:wrong-one@");
    const runs = [
      () =>
        pipeline(
          jetStreamSource({ url, stream: "S", consumer: "c" }),
          collect(),
        ),
      () => pipeline([1], jetStreamSink({ url, subject: "s.x" })),
      () =>
        pipeline(
          [1],
          natsSink({
            url: server.url,
            subject: "s.x",
            connectOptions: { user: "app", pass: "wrong-one" },
          }),
        ),
    ];
    for (const run of runs) {
      const error = await run().then(
        () => undefined,
        (error: unknown) => error,
      );
      let refused: unknown = error;
      while (
        refused instanceof Error && !(refused instanceof NatsConnectError)
      ) {
        refused = refused.cause;
      }
      assert.ok(refused instanceof NatsConnectError, `got ${error}`);
      assert.match(refused.message, /authorization/i);
      assert.doesNotMatch(String(error), /wrong-one/);
    }
    // The right ones, in connectOptions: the sink publishes.
    const summary = await pipeline(
      [1],
      natsSink({
        url: server.url,
        subject: "s.x",
        connectOptions: { user: "app", pass: "right-one" },
      }),
    );
    assert.equal(summary.recordsWritten, 1);
  } finally {
    await server.stop();
  }
});
