// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The lease engine contract as one `node:test` suite: every engine (memory
 * in `src/`, PostgreSQL and NATS KV in `connectors/`) registers it with a
 * factory, from `deno test` and from `node --test`.
 *
 * No timing is asserted but "eventually": a lease not renewed is taken by
 * another holder within its ttl plus 3 s, and one renewed every quarter
 * of its ttl is never taken.
 *
 * @module
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Lease, LeaseEngine } from "@ca/streams/host";

/**
 * Opens an engine object. Every call must return an engine over the same
 * data (the same table or bucket), as another process would open it; an
 * engine that has no such thing (the memory engine) returns the same
 * object each time. The engines' `ttlMs` should be short (1000-1500 ms)
 * for the expiry tests to be quick.
 */
export type LeaseEngineFactory = () => LeaseEngine | Promise<LeaseEngine>;

let counter = 0;

/**
 * A lease name prefix unique in this run and across runs, ending with `/`.
 *
 * @param label What the test is about (letters, digits, `-`).
 * @returns Such as `"ca-test/expiry-lx3k2-9f0a1c-4/"`.
 */
export function uniquePrefix(label: string): string {
  return `ca-test/${label}-${Date.now().toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }-${counter++}/`;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Extra time an engine may take past the ttl to let a lease go. */
const EXPIRY_GRACE_MS = 3_000;

/** Tries `acquire()` until it succeeds or the deadline passes. */
async function acquireWithin(
  engine: LeaseEngine,
  name: string,
  holder: string,
  data: string,
  ms: number,
): Promise<Lease | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lease = await engine.acquire(name, holder, data);
    if (lease !== undefined || Date.now() > deadline) return lease;
    await sleep(50);
  }
}

/** Asserts that `promise` rejects with a `TypeError` whose message names `field`. */
async function assertTypeError(
  promise: Promise<unknown>,
  field: string,
): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.match(error.message, /^Cannot \w+ lease/);
    assert.ok(
      error.message.includes(field),
      `expected the message to name ${field}: ${error.message}`,
    );
    return true;
  });
}

/**
 * Registers the conformance suite for one lease engine.
 *
 * @param name Names the suite, such as `"postgresLeaseEngine()"`.
 * @param open Opens an engine object over the shared data.
 */
export function leaseEngineConformance(
  name: string,
  open: LeaseEngineFactory,
): void {
  const opened = new Set<LeaseEngine>();
  async function engine(): Promise<LeaseEngine> {
    const made = await open();
    opened.add(made);
    return made;
  }

  describe(`${name} conformance`, () => {
    after(async () => {
      for (const made of opened) await made.close();
    });

    test("acquire() takes a free name; another holder then gets undefined", async () => {
      const [a, b] = [await engine(), await engine()];
      const name = `${uniquePrefix("exclusive")}orders`;
      const lease = await a.acquire(name, "host-a", '{"state":"starting"}');
      assert.ok(lease !== undefined, "expected the free name to be taken");
      assert.equal(lease.name, name);
      assert.equal(lease.holder, "host-a");
      assert.equal(lease.data, '{"state":"starting"}');
      assert.equal(typeof lease.token, "string");
      assert.notEqual(lease.token, "");
      assert.equal(await b.acquire(name, "host-b", "{}"), undefined);
      assert.deepEqual(await b.list(name), [
        { name, holder: "host-a", data: '{"state":"starting"}' },
      ]);
    });

    test("of 10 holders acquiring one name at once, exactly one wins", async () => {
      const engines = await Promise.all(
        Array.from({ length: 10 }, () => engine()),
      );
      for (let round = 0; round < 3; round++) {
        const name = `${uniquePrefix("race")}orders`;
        const results = await Promise.all(
          engines.map((e, i) => e.acquire(name, `host-${i}`, `{"i":${i}}`)),
        );
        const winners = results.filter((lease) => lease !== undefined);
        assert.equal(winners.length, 1, `round ${round}: ${winners.length}`);
        const [listed] = await engines[0]!.list(name);
        assert.equal(listed?.holder, winners[0]!.holder);
        assert.equal(listed?.data, winners[0]!.data);
      }
    });

    test("acquire() of a name one holds already gives undefined", async () => {
      const a = await engine();
      const name = `${uniquePrefix("again")}orders`;
      const lease = await a.acquire(name, "host-a", "{}");
      assert.ok(lease !== undefined);
      assert.equal(await a.acquire(name, "host-a", "{}"), undefined);
      const [renewed] = await a.renew([lease]);
      assert.deepEqual(renewed?.name, name, "the first grant is kept");
    });

    test("renew() keeps the lease and writes its data", async () => {
      const [a, b] = [await engine(), await engine()];
      const name = `${uniquePrefix("renew")}orders`;
      const lease = await a.acquire(name, "host-a", '{"state":"starting"}');
      assert.ok(lease !== undefined);
      const data = '{"state":"running","note":"ünïcödé 🎉 \\"q\\""}';
      const [renewed] = await a.renew([{ ...lease, data }]);
      assert.ok(renewed !== undefined, "expected the renewal");
      assert.equal(renewed.name, name);
      assert.equal(renewed.holder, "host-a");
      assert.equal(renewed.data, data);
      assert.deepEqual(await b.list(name), [{ name, holder: "host-a", data }]);
      assert.equal(await b.acquire(name, "host-b", "{}"), undefined);
      // The renewed lease renews again (its token may have changed).
      const [again] = await a.renew([{ ...renewed, data: "{}" }]);
      assert.equal(again?.data, "{}");
    });

    test("renew() of a released lease or another holder's gives undefined; the rest of the batch renews, in order", async () => {
      const [a, b] = [await engine(), await engine()];
      const prefix = uniquePrefix("batch");
      const first = await a.acquire(`${prefix}1`, "host-a", "1");
      const released = await a.acquire(`${prefix}2`, "host-a", "2");
      const third = await a.acquire(`${prefix}3`, "host-a", "3");
      const others = await b.acquire(`${prefix}4`, "host-b", "4");
      assert.ok(first && released && third && others);
      await a.release(released);
      const results = await a.renew([
        { ...first, data: "1b" },
        { ...released, data: "2b" },
        { ...others, holder: "host-a", data: "4b" }, // not host-a's
        { ...third, data: "3b" },
        { ...others, token: `${others.token}x`, data: "4c" }, // no such grant
      ]);
      assert.equal(results.length, 5);
      assert.equal(results[0]?.data, "1b");
      assert.equal(results[0]?.name, `${prefix}1`);
      assert.equal(results[1], undefined);
      assert.equal(results[2], undefined);
      assert.equal(results[3]?.data, "3b");
      assert.equal(results[3]?.name, `${prefix}3`);
      assert.equal(results[4], undefined);
      assert.deepEqual(await b.list(prefix), [
        { name: `${prefix}1`, holder: "host-a", data: "1b" },
        { name: `${prefix}3`, holder: "host-a", data: "3b" },
        { name: `${prefix}4`, holder: "host-b", data: "4" },
      ]);
    });

    test("renew([]) gives []", async () => {
      assert.deepEqual(await (await engine()).renew([]), []);
    });

    test("release() frees the lease at once, for anyone", async () => {
      const [a, b] = [await engine(), await engine()];
      const name = `${uniquePrefix("release")}orders`;
      const lease = await a.acquire(name, "host-a", "{}");
      assert.ok(lease !== undefined);
      await a.release(lease);
      assert.deepEqual(await a.list(name), []);
      const taken = await b.acquire(name, "host-b", '{"b":1}');
      assert.equal(taken?.holder, "host-b");
      // Releasing again, or another holder's lease by name, frees nothing.
      await a.release(lease);
      await a.release({ ...taken!, holder: "host-a" });
      assert.deepEqual(await a.list(name), [
        { name, holder: "host-b", data: '{"b":1}' },
      ]);
    });

    test("a lease not renewed expires: another holder takes it, and the old grant's renew() and release() change nothing", async () => {
      const [a, b] = [await engine(), await engine()];
      const ttlMs = a.ttlMs;
      const name = `${uniquePrefix("expiry")}orders`;
      const old = await a.acquire(name, "host-a", "{}");
      assert.ok(old !== undefined);
      // Wait until the engine no longer shows it, then renewing it fails.
      const deadline = Date.now() + ttlMs + EXPIRY_GRACE_MS;
      while ((await b.list(name)).length > 0) {
        assert.ok(
          Date.now() < deadline,
          `still listed ${ttlMs + EXPIRY_GRACE_MS} ms after it was taken`,
        );
        await sleep(50);
      }
      assert.deepEqual(await a.renew([old]), [undefined]);
      const taken = await acquireWithin(b, name, "host-b", '{"b":1}', 3_000);
      assert.equal(taken?.holder, "host-b", "expected host-b to take it");
      // The stale grant: neither renews nor frees the new holder's lease.
      assert.deepEqual(await a.renew([old]), [undefined]);
      await a.release(old);
      assert.deepEqual(await a.list(name), [
        { name, holder: "host-b", data: '{"b":1}' },
      ]);
      assert.equal(await a.acquire(name, "host-a", "{}"), undefined);
      const [renewed] = await b.renew([taken!]);
      assert.equal(renewed?.holder, "host-b");
    });

    test("a lease not renewed is taken within its ttl plus 3 s by a holder trying all along", async () => {
      const [a, b] = [await engine(), await engine()];
      const name = `${uniquePrefix("takeover")}orders`;
      assert.ok(await a.acquire(name, "host-a", "{}"));
      const taken = await acquireWithin(
        b,
        name,
        "host-b",
        "{}",
        b.ttlMs + EXPIRY_GRACE_MS,
      );
      assert.equal(taken?.holder, "host-b");
    });

    test("a lease renewed every quarter of its ttl outlives several ttls", async () => {
      const [a, b] = [await engine(), await engine()];
      const ttlMs = a.ttlMs;
      const name = `${uniquePrefix("kept")}orders`;
      let lease = await a.acquire(name, "host-a", "0");
      assert.ok(lease !== undefined);
      for (let i = 1; i <= 12; i++) {
        await sleep(ttlMs / 4);
        const [renewed] = await a.renew([{ ...lease, data: String(i) }]);
        assert.ok(renewed !== undefined, `renewal ${i} failed`);
        lease = renewed;
        assert.equal(await b.acquire(name, "host-b", "{}"), undefined);
      }
      assert.deepEqual(await b.list(name), [
        { name, holder: "host-a", data: "12" },
      ]);
    });

    test("list(prefix) shows the live leases with that prefix, sorted by name, with holder and data", async () => {
      const [a, b] = [await engine(), await engine()];
      const prefix = uniquePrefix("list_x");
      // Every character a name may hold, dots and slashes anywhere.
      const names = [
        `${prefix}b`,
        `${prefix}a`,
        `${prefix}A.b_c-d/e#f`,
        `${prefix}#`,
        `${prefix}/`,
        `${prefix}..`,
        `${prefix}x/./y`,
        `${prefix}z.`,
        `${prefix}0`,
      ];
      for (const [i, name] of names.entries()) {
        const engine = i % 2 === 0 ? a : b;
        const lease = await engine.acquire(name, `host-${i % 2}`, `{"i":${i}}`);
        assert.ok(lease !== undefined, name);
      }
      const gone = await a.acquire(`${prefix}released`, "host-0", "{}");
      await a.release(gone!);
      // Look-alikes that must not match: LIKE's _ and % are plain here.
      const lookalike = prefix.replace("list_x", "listyx");
      assert.ok(await a.acquire(`${lookalike}a`, "host-0", "{}"));
      assert.ok(await a.acquire(prefix.slice(0, -1), "host-0", "{}"));

      const expected = names.map((name, i) => ({
        name,
        holder: `host-${i % 2}`,
        data: `{"i":${i}}`,
      })).sort((x, y) => x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
      assert.deepEqual(await b.list(prefix), expected);
      assert.deepEqual(
        await a.list(`${prefix}x/`),
        expected.filter((lease) => lease.name.startsWith(`${prefix}x/`)),
      );
      assert.deepEqual(await a.list(`${prefix}nothing`), []);
      const everything = await a.list("");
      assert.ok(everything.length >= names.length + 2);
      for (let i = 1; i < everything.length; i++) {
        assert.ok(everything[i - 1]!.name < everything[i]!.name, "sorted");
      }
    });

    test("list() shows each lease once while its holder keeps renewing it", async () => {
      const [a, b] = [await engine(), await engine()];
      const prefix = uniquePrefix("busy");
      let leases: Lease[] = [];
      for (let i = 0; i < 200; i++) {
        const lease = await a.acquire(`${prefix}${i}`, "host-a", "{}");
        assert.ok(lease !== undefined);
        leases.push(lease);
      }
      let renewing = true;
      const renewals = (async () => {
        for (let round = 0; renewing; round++) {
          const renewed = await a.renew(
            leases.map((lease) => ({ ...lease, data: String(round) })),
          );
          assert.ok(renewed.every((lease) => lease !== undefined));
          leases = renewed as Lease[];
        }
      })();
      try {
        for (let i = 0; i < 5; i++) {
          const listed = await b.list(prefix);
          const names = listed.map((lease) => lease.name);
          assert.equal(names.length, 200, "each lease once");
          assert.equal(new Set(names).size, 200);
        }
      } finally {
        renewing = false;
        await renewals;
      }
    });

    test("data round-trips up to 64 KiB; more is a RangeError", async () => {
      const a = await engine();
      const prefix = uniquePrefix("data");
      const big = JSON.stringify({ text: "ü".repeat(32_000) }); // ~64 KB in UTF-8
      const lease = await a.acquire(`${prefix}big`, "host-a", big);
      assert.equal(lease?.data, big);
      assert.equal((await a.list(`${prefix}big`))[0]?.data, big);
      const empty = await a.acquire(`${prefix}empty`, "host-a", "");
      assert.equal((await a.list(`${prefix}empty`))[0]?.data, "");
      const [renewed] = await a.renew([{ ...empty!, data: big }]);
      assert.equal(renewed?.data, big);
      await assert.rejects(
        a.acquire(`${prefix}huge`, "host-a", "x".repeat(64 * 1024 + 1)),
        RangeError,
      );
    });

    test("an aborted signal rejects every call with its reason", async () => {
      const a = await engine();
      const name = `${uniquePrefix("signal")}orders`;
      const lease = await a.acquire(name, "host-a", "{}");
      assert.ok(lease !== undefined);
      const controller = new AbortController();
      const reason = new Error("stop");
      controller.abort(reason);
      const { signal } = controller;
      const other = `${name}-2`;
      await assert.rejects(
        a.acquire(other, "host-a", "{}", { signal }),
        (e) => e === reason,
      );
      await assert.rejects(a.renew([lease], { signal }), (e) => e === reason);
      await assert.rejects(a.release(lease, { signal }), (e) => e === reason);
      await assert.rejects(a.list(name, { signal }), (e) => e === reason);
      // Nothing happened: the lease is still held, the other name free.
      assert.deepEqual(await a.list(name), [
        { name, holder: "host-a", data: "{}" },
      ]);
    });

    test("bad names, holders, data and leases are TypeError naming the field", async () => {
      const a = await engine();
      const name = `${uniquePrefix("bad")}orders`;
      for (const bad of ["", "a b", "x".repeat(201), "ü", "a*b", "a>b", 42]) {
        await assertTypeError(a.acquire(bad as string, "host-a", "{}"), "name");
      }
      const longest = name.padEnd(200, "x");
      const taken = await a.acquire(longest, "h".repeat(200), "{}");
      assert.equal(taken?.name, longest, "200 characters are allowed");
      await a.release(taken!);
      for (const bad of ["", "h".repeat(201), "a\0b", 7, undefined]) {
        await assertTypeError(a.acquire(name, bad as string, "{}"), "holder");
      }
      for (const bad of [42, null, undefined, { a: 1 }, "a\0b"]) {
        await assertTypeError(a.acquire(name, "host-a", bad as string), "data");
      }
      const lease = await a.acquire(name, "host-a", "{}");
      assert.ok(lease !== undefined);
      await assertTypeError(
        a.renew([{ ...lease, token: 1 as unknown as string }]),
        "token",
      );
      await assertTypeError(a.renew([{ ...lease, name: "a b" }]), "name");
      await assertTypeError(a.renew([{ ...lease, holder: "" }]), "holder");
      await assertTypeError(
        a.renew([{ ...lease, data: 5 as unknown as string }]),
        "data",
      );
      await assertTypeError(a.renew(lease as unknown as Lease[]), "array");
      await assertTypeError(a.release(null as unknown as Lease), "lease");
      await assertTypeError(a.release({ ...lease, name: "" }), "name");
      await assertTypeError(a.list(5 as unknown as string), "prefix");
      // Nothing of that changed the lease.
      const [renewed] = await a.renew([lease]);
      assert.equal(renewed?.holder, "host-a");
    });

    test("ttlMs is the engine's, a whole number of ms", async () => {
      const a = await engine();
      assert.ok(Number.isInteger(a.ttlMs) && a.ttlMs > 0);
    });
  });
}
