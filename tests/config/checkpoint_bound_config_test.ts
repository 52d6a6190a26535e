// Copyright 2026 the @ca/streams authors. MIT license.
// The config file's checkpoint.maxUncommittedRecords: parsed (also from an
// environment variable), checked, and planned into every runner's plan.
// Runs on Deno and Node (the package: dist/).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConfigError,
  parsePipelineConfig,
  planPipeline,
} from "@ca/streams/config";

const config = (max: string) => `
id: bounded
runners: { a: { runtime: deno }, b: { runtime: node } }
checkpoint:
  store: { type: memory }
  everyRecords: 1000
  maxUncommittedRecords: ${max}
processors:
  - { name: src, use: generate, runner: a, args: { count: 5 } }
  - { name: out, use: file-sink, runner: b, args: { path: out.ndjson } }
`;

test("checkpoint.maxUncommittedRecords reaches every runner's plan, also from ${VAR}", async () => {
  for (
    const [text, env] of [
      [config("5000"), {}],
      [config("${MAX}"), { MAX: "5000" }],
    ] as const
  ) {
    const parsed = await parsePipelineConfig(text, { env });
    assert.deepEqual(parsed.checkpoint, {
      store: { type: "memory" },
      everyRecords: 1000,
      maxUncommittedRecords: 5000,
    });
    const plans = planPipeline(parsed, { baseUrl: "file:///srv/p/" });
    assert.equal(plans.length, 2);
    for (const plan of plans) {
      assert.equal(plan.checkpoint?.maxUncommittedRecords, 5000);
    }
  }
});

test("checkpoint.maxUncommittedRecords must be a positive integer", async () => {
  for (const bad of ["0", "-1", "2.5", "lots"]) {
    await assert.rejects(
      parsePipelineConfig(config(bad), { env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(
          error.issues[0]!.path,
          "/checkpoint/maxUncommittedRecords",
          bad,
        );
        return true;
      },
    );
  }
});
