// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import { currentRuntime, injectRuntime } from "./current_runtime.ts";
import { loadFileRuntime } from "../file/file_runtime.ts";

test("currentRuntime() detects the host and answers what a test injects", async () => {
  const detected = "Deno" in globalThis ? "deno" : "node";
  assert.equal(currentRuntime(), detected);
  // Deno runs node:fs too, so the Node file module works on both hosts:
  // injecting "node" makes the file connector load it.
  injectRuntime("node");
  try {
    assert.equal(currentRuntime(), "node");
    const files = await loadFileRuntime();
    const dir = await import("node:os").then((os) => os.tmpdir());
    const path = `${dir}/ca_runtime_${Date.now()}_${Math.random()}.txt`;
    const out = await files.openAppend(path);
    await out.append(new TextEncoder().encode("hello\n"));
    await out.close();
    const { readFile, rm } = await import("node:fs/promises");
    assert.equal(await readFile(path, "utf8"), "hello\n");
    await rm(path);
  } finally {
    injectRuntime(undefined);
  }
  assert.equal(currentRuntime(), detected);
});
