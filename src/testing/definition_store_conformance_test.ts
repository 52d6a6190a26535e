// Copyright 2026 the @ca/streams authors. MIT license.
// The definition store kit passes a correct store and fails broken ones:
// each broken store must fail the case that is about its flaw, with a
// ConformanceError.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DefinitionStore } from "../definition_store/definition_store.ts";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import { WrongExpectedVersionError } from "../definition_store/wrong_expected_version_error.ts";
import { assertAllPass, assertFails, runSuite } from "./_test_helpers.ts";
import { definitionStoreConformance } from "./definition_store_conformance.ts";
import type { DefinitionStoreHarness } from "./definition_store_harness.ts";

/** A memory store with one method replaced. */
function broken(
  name: string,
  change: (store: DefinitionStore) => Partial<DefinitionStore>,
): DefinitionStoreHarness {
  return {
    name,
    open() {
      const store = memoryDefinitionStore();
      return { store: { ...store, ...change(store) }, close() {} };
    },
  };
}

const ALL_BUT_REOPEN = 9;

test("definitionStoreConformance() passes the memory store, without the reopen cases", async () => {
  const results = await runSuite(definitionStoreConformance, {
    name: "memory",
    open: () => ({ store: memoryDefinitionStore(), close() {} }),
  });
  assertAllPass(results, ALL_BUT_REOPEN);
});

test("definitionStoreConformance() passes a durable store over a shared memory store", async () => {
  // One memory store behind every store object: what a file or a table is.
  const harness: DefinitionStoreHarness = {
    name: "shared",
    durable: true,
    open() {
      const shared = memoryDefinitionStore();
      const view = (): DefinitionStore => {
        let closed = false;
        const open = <T>(call: () => Promise<T>) =>
          closed
            ? Promise.reject(new Error("Cannot use the store: closed"))
            : call();
        return {
          append: (...args) => open(() => shared.append(...args)),
          read: (...args) => open(() => shared.read(...args)),
          list: (...args) => open(() => shared.list(...args)),
          close: () => {
            closed = true;
            return Promise.resolve();
          },
        };
      };
      return { store: view(), reopen: view, close() {} };
    },
  };
  assertAllPass(await runSuite(definitionStoreConformance, harness), 11);
});

test("definitionStoreConformance() fails a store that ignores the expected version", async () => {
  const results = await runSuite(
    definitionStoreConformance,
    broken("no versions", (store) => ({
      async append(connector, events, _expected, options) {
        const version = (await store.read(connector)).length;
        return store.append(connector, events, version, options);
      },
    })),
  );
  assertFails(
    results,
    "an append at a wrong expected version throws WrongExpectedVersionError and stores nothing",
    /append\(\) at version 1 to a stream that does not exist resolved/,
  );
  assert.equal(
    results.get(
      "append() stores events in order and read() gives them back with their versions",
    ),
    undefined,
  );
});

test("definitionStoreConformance() fails a store that checks the version, then appends after an await", async () => {
  const results = await runSuite(
    definitionStoreConformance,
    broken("check, then act", (store) => ({
      async append(connector, events, expected, options) {
        const version = (await store.read(connector)).length;
        if (version !== expected) {
          throw new WrongExpectedVersionError(connector, expected, version);
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
        const now = (await store.read(connector)).length;
        return store.append(connector, events, now, options);
      },
    })),
  );
  assertFails(
    results,
    "of 20 concurrent appends at the same expected version exactly one wins",
    /20 succeeded; exactly one must/,
  );
  assert.equal(
    results.get(
      "an append at a wrong expected version throws WrongExpectedVersionError and stores nothing",
    ),
    undefined,
  );
});

test("definitionStoreConformance() fails a store that gives back the caller's objects", async () => {
  const results = await runSuite(
    definitionStoreConformance,
    broken("no copies", () => {
      const kept = new Map<string, unknown[]>();
      return {
        append(connector, events) {
          const stream = kept.get(connector) ?? [];
          stream.push(...events);
          kept.set(connector, stream);
          return Promise.resolve(stream.length);
        },
        read(connector) {
          return Promise.resolve(
            (kept.get(connector) ?? []).map((event, i) =>
              Object.assign(event as object, { version: i + 1 })
            ) as never,
          );
        },
      };
    }),
  );
  assertFails(
    results,
    "events read back JSON-round-trip unchanged",
    /changing a config after appending it changed what the store holds/,
  );
});

test("definitionStoreConformance() fails a store whose list() forgets deleted streams or sorts otherwise", async () => {
  const hiding = await runSuite(
    definitionStoreConformance,
    broken("hides deleted", (store) => ({
      list: async (options) =>
        (await store.list(options)).filter((stream) => !stream.deleted),
    })),
  );
  assertFails(
    hiding,
    "list() gives every stream sorted by id, deleted ones marked",
    /after appends to four streams and deleting b, list\(\) gave/,
  );
  const unsorted = await runSuite(
    definitionStoreConformance,
    broken("sorts by locale", (store) => ({
      list: async (options) =>
        (await store.list(options)).sort((a, b) =>
          a.connector.localeCompare(b.connector)
        ),
    })),
  );
  assertFails(
    unsorted,
    "list() gives every stream sorted by id, deleted ones marked",
    /list\(\) gave \[\{"connector":"a"/,
  );
});

test("definitionStoreConformance() fails a store that accepts malformed events", async () => {
  const results = await runSuite(
    definitionStoreConformance,
    broken("accepts anything", () => {
      const store = new Map<string, number>();
      return {
        append(connector, events) {
          const version = (store.get(connector) ?? 0) + events.length;
          store.set(connector, version);
          return Promise.resolve(version);
        },
      };
    }),
  );
  assertFails(
    results,
    "refuses malformed appends with TypeError or RangeError and stores nothing",
    /append\(\) with no events resolved/,
  );
});

test("definitionStoreConformance() fails a durable store that forgets on reopen", async () => {
  const results = await runSuite(definitionStoreConformance, {
    name: "forgets",
    durable: true,
    open: () => ({
      store: memoryDefinitionStore(),
      reopen: () => memoryDefinitionStore(),
      close() {},
    }),
  });
  assertFails(
    results,
    "a reopened store holds every event and goes on from their versions",
    /after reopening, list\(\) gave \[\]/,
  );
  assertFails(
    results,
    "two store objects over the same data see each other's appends and cannot both win",
    /read by a second store object, read\("orders"\) gave 0 event\(s\), expected 1/,
  );
});

test("definitionStoreConformance() refuses a durable harness whose fixture cannot reopen", async () => {
  const results = await runSuite(definitionStoreConformance, {
    name: "no reopen",
    durable: true,
    open: () => ({ store: memoryDefinitionStore(), close() {} }),
  });
  assertFails(
    results,
    "a reopened store holds every event and goes on from their versions",
    /open\(\) failed: .*reopen\(\)/,
  );
});
