// Copyright 2026 the @ca/streams authors. MIT license.

// denoKvStore(): the conformance suite over a Deno KV database file that
// each factory call opens again (another handle, as another process would),
// plus what is particular to KV. Deno only: run with
// `deno test -A --unstable-kv`; the npm test driver leaves `deno_*` test
// files out of its Node runs.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type DenoKv, denoKvStore } from "@ca/streams/deno-kv-store";
import { checkpointStoreConformance, uniqueId } from "./conformance.ts";

/** The part of the Deno namespace these tests use. */
interface DenoApi {
  openKv?(path?: string): Promise<DenoKv & { close(): void }>;
  makeTempDir(): Promise<string>;
  remove(path: string, options: { recursive: boolean }): Promise<void>;
}
const deno = (globalThis as { Deno?: DenoApi }).Deno;

if (deno === undefined) {
  test("denoKvStore() runs on Deno only", () => {
    throw new Error(
      "Cannot test denoKvStore() outside Deno: run `deno test -A --unstable-kv tests/stores/deno_kv_store_test.ts`",
    );
  });
} else {
  const openKv = () => {
    if (typeof deno.openKv !== "function") {
      throw new Error(
        "Cannot open Deno KV: Deno.openKv is missing; run the tests with `deno test -A --unstable-kv`",
      );
    }
    return deno.openKv(path);
  };
  const dir = await deno.makeTempDir();
  const path = `${dir}/kv.sqlite`;
  const handles: { close(): void }[] = [];
  after(async () => {
    for (const kv of handles) kv.close();
    await deno.remove(dir, { recursive: true });
  });
  const prefix = ["ca-test", uniqueId("run")];

  checkpointStoreConformance("denoKvStore()", async () => {
    const kv = await openKv();
    handles.push(kv);
    return denoKvStore(kv, { prefix });
  });

  describe("denoKvStore() in Deno KV", () => {
    test("entries live at [...prefix, id] with the position as JSON text", async () => {
      const kv = await openKv();
      handles.push(kv);
      const store = denoKvStore(kv, { prefix });
      const id = uniqueId("layout");
      const { generation } = await store.acquire(id);
      await store.commit(id, { offset: 3 }, generation);
      const entry = await kv.get([...prefix, id]);
      assert.deepEqual(entry.value, {
        generation: 1,
        position: '{"offset":3}',
      });
    });

    test("the default prefix is ca_checkpoints, and prefixes keep stores apart", async () => {
      const kv = await openKv();
      handles.push(kv);
      const id = uniqueId("prefix");
      const plain = denoKvStore(kv);
      const other = denoKvStore(kv, { prefix: [...prefix, "other"] });
      await plain.acquire(id);
      assert.equal(
        (await kv.get(["ca_checkpoints", id])).versionstamp !== null,
        true,
      );
      assert.equal((await other.get(id)).generation, 0);
      const { generation } = await other.acquire(id);
      await other.commit(id, "x", generation);
      assert.deepEqual(await plain.get(id), {
        position: undefined,
        generation: 1,
      });
      await plain.delete(id);
    });

    test("a value that is not a checkpoint is reported", async () => {
      const kv = await openKv();
      handles.push(kv);
      const id = uniqueId("foreign");
      await kv.atomic().set([...prefix, id], "not a checkpoint").commit();
      await assert.rejects(denoKvStore(kv, { prefix }).acquire(id), TypeError);
    });

    test("close() leaves the Deno.Kv open and refuses later calls", async () => {
      const kv = await openKv();
      handles.push(kv);
      const store = denoKvStore(kv, { prefix });
      await store.close!();
      await assert.rejects(store.get("x"), /the store is closed/);
      assert.equal((await kv.get(["anything"])).value, null);
    });

    test("bad arguments are TypeError", () => {
      assert.throws(() => denoKvStore({} as DenoKv), TypeError);
    });
  });
}
