// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { memoryLeaseEngine } from "./memory_lease_engine.ts";

describe("memoryLeaseEngine()", () => {
  test("a lease expires ttlMs after its last renewal, on the engine's clock", async () => {
    let now = 1_000;
    const leases = memoryLeaseEngine({ ttlMs: 100, now: () => now });
    assert.equal(leases.ttlMs, 100);
    const a = await leases.acquire("connector/orders", "host-a", "{}");
    assert.ok(a !== undefined);
    now += 99;
    const [renewed] = await leases.renew([{ ...a, data: '{"n":1}' }]);
    assert.ok(renewed !== undefined);
    now += 99; // 198 ms after the acquire, 99 after the renewal
    assert.equal(
      await leases.acquire("connector/orders", "host-b", "{}"),
      undefined,
    );
    now += 1; // 100 ms after the renewal: expired
    assert.deepEqual(await leases.list(""), []);
    assert.deepEqual(await leases.renew([renewed]), [undefined]);
    const b = await leases.acquire("connector/orders", "host-b", "{}");
    assert.equal(b?.holder, "host-b");
    assert.notEqual(b?.token, a.token, "a new grant has a new token");
    await leases.release(a); // the stale grant frees nothing
    assert.deepEqual(await leases.list("connector/"), [
      { name: "connector/orders", holder: "host-b", data: "{}" },
    ]);
  });

  test("the default ttl is 10 s", () => {
    assert.equal(memoryLeaseEngine().ttlMs, 10_000);
  });

  test("what a caller changes later does not leak in", async () => {
    const leases = memoryLeaseEngine();
    const lease = await leases.acquire("host/a", "host-a", "{}");
    const batch = [{ ...lease!, data: '{"x":1}' }];
    await leases.renew(batch);
    (batch[0] as { data: string }).data = "changed";
    assert.equal((await leases.list("host/"))[0]?.data, '{"x":1}');
  });

  test("a closed engine rejects every call", async () => {
    const leases = memoryLeaseEngine();
    const lease = await leases.acquire("host/a", "host-a", "{}");
    await leases.close();
    const closed = /^Cannot .*: the lease engine is closed$/;
    await assert.rejects(leases.acquire("host/b", "host-b", "{}"), {
      message: closed,
    });
    await assert.rejects(leases.renew([lease!]), { message: closed });
    await assert.rejects(leases.release(lease!), { message: closed });
    await assert.rejects(leases.list(""), { message: closed });
    await leases.close(); // twice is fine
  });

  test("bad options are TypeError or RangeError naming the option", () => {
    for (const ttlMs of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31]) {
      assert.throws(() => memoryLeaseEngine({ ttlMs }), {
        name: "RangeError",
        message: /^Cannot create memory lease engine: ttlMs must be/,
      });
    }
    assert.throws(() => memoryLeaseEngine({ ttlMs: "10s" as never }), {
      name: "TypeError",
      message: /ttlMs must be a number, got "10s"/,
    });
    assert.throws(() => memoryLeaseEngine({ now: 5 as never }), {
      name: "TypeError",
      message: /now must be a function/,
    });
  });

  test("messages say what was wrong, with the value", async () => {
    const leases = memoryLeaseEngine();
    await assert.rejects(leases.acquire("a b", "host-a", "{}"), {
      name: "TypeError",
      message:
        'Cannot acquire lease: name must be 1-200 characters of A-Z a-z 0-9 . _ - / #, got "a b"',
    });
    await assert.rejects(leases.acquire("host/a", "", "{}"), {
      name: "TypeError",
      message:
        'Cannot acquire lease "host/a": holder must be a non-empty string of at most 200 characters without the NUL character, got ""',
    });
  });
});
