// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import { serveNode } from "./serve_node.ts";

test("a handler that cancels a request body before it all arrived answers, and the process lives on", async () => {
  const server = await serveNode(async (request) => {
    await request.body?.cancel();
    return new Response(null, { status: 413 });
  });
  try {
    // A body sent in chunks, so that some arrive after the cancel.
    const chunks = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (let i = 0; i < 20; i++) {
          controller.enqueue(new Uint8Array(64 * 1024));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        controller.close();
      },
    });
    const response = await fetch(server.url, {
      method: "POST",
      body: chunks,
      duplex: "half",
    } as RequestInit);
    assert.equal(response.status, 413);
    await response.body?.cancel();
    // The server still serves: the data that came after the cancel was drained.
    const again = await fetch(server.url, { method: "POST", body: "x" });
    assert.equal(again.status, 413);
    await again.body?.cancel();
  } finally {
    await server.close();
  }
});
