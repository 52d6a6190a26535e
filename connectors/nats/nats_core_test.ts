// Copyright 2026 the @ca/streams authors. MIT license.
// natsSource and natsSink (core NATS, at most once) against the real NATS
// server (CA_TEST_NATS_URL overrides nats://127.0.0.1:4222).

import { test } from "node:test";
import assert from "node:assert/strict";
import { headers } from "@nats-io/transport-node";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import type { Message } from "../../src/messages/message.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { natsSink } from "./nats_sink.ts";
import { natsSource } from "./nats_source.ts";
import {
  NATS_URL,
  testConnection,
  uniqueName,
  until,
} from "./_nats_test_helpers.ts";

test(
  "natsSink() publishes what natsSource() subscribed to, with headers and key",
  { timeout: 30_000 },
  async () => {
    const subject = uniqueName("ca.core").toLowerCase().replace("_", ".");
    const received = collect<Message<{ n: number }>>();
    const reading = pipeline(
      natsSource<{ n: number }>({ url: NATS_URL, subject: `${subject}.*` }),
      received,
    );
    // natsSource subscribes on the first read: wait until it is there.
    const nc = await testConnection();
    try {
      await until(async () => {
        nc.publish(`${subject}.probe`, '{"n":-1}');
        await nc.flush();
        return received.records.length > 0;
      }, "the subscription");
      const summary = await pipeline(
        [{ n: 1, to: "a" }, { n: 2, to: "b" }],
        natsSink<{ n: number; to: string }>({
          url: NATS_URL,
          subject: `${subject}.x`,
          topic: (record) => `${subject}.${record.to}`,
          value: (record) => ({ n: record.n }),
          key: (record) => `k${record.n}`,
          headers: () => ({ "trace-id": "t1" }),
        }),
      );
      assert.equal(summary.recordsWritten, 2);
      const real = () => received.records.filter((m) => m.value.n > 0);
      await until(() => real().length === 2, "2 messages");
      await reading.stop();
      const [a, b] = real();
      assert.deepEqual(a!.value, { n: 1 });
      assert.equal(a!.topic, `${subject}.a`);
      assert.equal(a!.key, "k1");
      assert.equal(a!.headers?.["trace-id"], "t1");
      assert.equal(b!.topic, `${subject}.b`);
    } finally {
      await reading.stop().catch(() => {});
      await nc.close();
    }
  },
);

test("natsSource() fails on an undecodable message with a MessageError", {
  timeout: 30_000,
}, async () => {
  const subject = uniqueName("ca.core").toLowerCase().replace("_", ".");
  const nc = await testConnection();
  try {
    const received = collect<Message>();
    const reading = pipeline(
      natsSource({ url: NATS_URL, subject, format: "json" }),
      received,
    );
    const h = headers();
    h.set("kind", "bad");
    const failed = reading.then(() => undefined, (error: unknown) => error);
    let settled = false;
    failed.then(() => settled = true);
    await until(async () => {
      nc.publish(subject, "{not json", { headers: h });
      await nc.flush();
      return settled;
    }, "the pipeline to fail");
    let cause = await failed;
    assert.equal(reading.state, "degraded");
    while (cause instanceof Error && !(cause instanceof MessageError)) {
      cause = cause.cause;
    }
    assert.ok(cause instanceof MessageError);
    assert.equal(cause.connector, "nats-source");
    assert.equal(
      (cause.raw as { headers?: Record<string, string> }).headers?.kind,
      "bad",
    );
  } finally {
    await nc.close();
  }
});

test(
  "natsSource() with a dead letter gives it an undecodable message and reads on",
  { timeout: 30_000 },
  async () => {
    const subject = uniqueName("ca.core").toLowerCase().replace("_", ".");
    const nc = await testConnection();
    const received = collect<Message<{ n: number }>>();
    const letters: DeadLetter[] = [];
    const reading = pipeline(
      natsSource<{ n: number }>({ url: NATS_URL, subject }),
      received,
      {
        deadLetter: new WritableStream({
          write: (letter) => void letters.push(letter),
        }),
      },
    );
    try {
      // natsSource subscribes on the first read: wait until it is there.
      await until(async () => {
        nc.publish(subject, '{"n":0}');
        await nc.flush();
        return received.records.length > 0;
      }, "the subscription");
      nc.publish(subject, '{"n":1}');
      nc.publish(subject, "{not json");
      nc.publish(subject, '{"n":3}');
      await nc.flush();
      const real = () => received.records.filter((m) => m.value.n > 0);
      await until(
        () => real().length === 2 && letters.length === 1,
        "2 records and 1 dead letter",
      );
      assert.equal(reading.state, "running");
      const summary = await reading.stop();
      assert.equal(summary.recordsDeadLettered, 1);
      assert.deepEqual(real().map((m) => m.value.n), [1, 3]);
      const [letter] = letters;
      assert.equal(letter!.stageIndex, -1);
      assert.ok(letter!.error instanceof MessageError);
      assert.equal(letter!.error.connector, "nats-source");
      const raw = letter!.record as { topic: string; payload: Uint8Array };
      assert.equal(raw.topic, subject);
      assert.equal(new TextDecoder().decode(raw.payload), "{not json");
    } finally {
      await reading.stop().catch(() => {});
      await nc.close();
    }
  },
);

test(
  "natsSink() fails clearly on an unreachable server, without the password",
  { timeout: 30_000 },
  async () => {
    const error = await pipeline(
      ["x"],
      natsSink({ url: "nats://me:hunter2@127.0.0.1:1", subject: "a" }),
    ).then(() => undefined, (error: unknown) => error);
    assert.match(
      String(error),
      /Cannot connect nats-sink to nats:\/\/me:\*\*\*@127\.0\.0\.1:1/,
    );
    assert.doesNotMatch(String(error), /hunter2/);
  },
);
