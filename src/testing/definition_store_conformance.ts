// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionEvent } from "../definition_store/definition_event.ts";
import type { DefinitionStore } from "../definition_store/definition_store.ts";
import type { DefinitionStreamInfo } from "../definition_store/definition_stream_info.ts";
import type { StoredDefinitionEvent } from "../definition_store/stored_definition_event.ts";
import { describeError } from "../errors/describe_error.ts";
import { type CaseRun, settle } from "./case_run.ts";
import { ConformanceError } from "./conformance_error.ts";
import type { ConformanceOptions } from "./conformance_options.ts";
import type { DefinitionStoreFixture } from "./definition_store_fixture.ts";
import type { DefinitionStoreHarness } from "./definition_store_harness.ts";
import { canonicalJson } from "./record_shape.ts";
import {
  type Case,
  checkHarness,
  registerCases,
  settingsOf,
} from "./register_cases.ts";

/** How many appends race for one expected version. */
const RACERS = 20;
const AT = "2026-03-01T12:00:00.000Z";

/** A config with values of every JSON kind, `${ENV}` references as written. */
const RICH_CONFIG: Record<string, unknown> = {
  id: "rich",
  url: "postgres://app:${DB_PASSWORD}@db:5432/shop",
  note: 'quotes " and \\ backslashes, ünïcödé 🎉, line\nbreak\ttab',
  numbers: [0, -7.25, 0.1, 1e21, Number.MAX_SAFE_INTEGER, -1e-7],
  flags: { on: true, off: false, none: null },
  empty: { object: {}, array: [], string: "" },
  processors: [
    { name: "in", use: "generate", args: { count: 3 } },
    { name: "out", use: "file-sink", args: { path: "${OUT_DIR}/out.ndjson" } },
  ],
};

/** Connector ids that break naive file names, keys or SQL. */
const SPECIAL_IDS: readonly string[] = [
  "orders",
  "Orders",
  "a/b",
  "../escape",
  "it's",
  'say "hi"',
  "'; DROP TABLE x; --",
  "line\nbreak",
  "ünïcödé 🎉",
  "x".repeat(300),
];

function created(
  connector: string,
  config: Record<string, unknown> = { id: connector },
): DefinitionEvent {
  return { type: "created", connector, at: AT, data: { config } };
}

function simple(
  type: "started" | "stopped" | "deleted",
  connector: string,
): DefinitionEvent {
  return { type, connector, at: AT, data: {} };
}

/** One event of every type, for `connector`. */
function everyType(connector: string): DefinitionEvent[] {
  return [
    created(connector, RICH_CONFIG),
    {
      type: "reconfigured",
      connector,
      at: "2026-03-01T12:00:01.001Z",
      data: { config: { ...RICH_CONFIG, batchSize: 500 } },
    },
    simple("started", connector),
    {
      type: "failed",
      connector,
      at: "2026-03-01T12:00:02.999Z",
      data: {
        error: {
          code: "ECONNREFUSED",
          message: 'Cannot connect to "db:5432": refusé',
        },
      },
    },
    {
      type: "recovering",
      connector,
      at: AT,
      data: { attempt: 3, delayMs: 4000 },
    },
    simple("stopped", connector),
    {
      type: "reset",
      connector,
      at: AT,
      data: { position: { partition: 3, offset: 1234, s: "ü" } },
    },
    { type: "reset", connector, at: AT, data: { position: null } },
    simple("deleted", connector),
  ];
}

/** The events as a store must give them back: their JSON, with versions. */
function expected(
  events: readonly DefinitionEvent[],
  firstVersion = 1,
): unknown[] {
  return events.map((event, index) => ({
    ...JSON.parse(JSON.stringify(event)),
    version: firstVersion + index,
  }));
}

function isWrongVersion(error: unknown): boolean {
  return error instanceof Error &&
    (error as { code?: unknown }).code === "CA_ERR_WRONG_EXPECTED_VERSION";
}

/**
 * Registers the definition store conformance cases, one test each, with
 * `options.test` (`Deno.test`, `node:test`'s `test`). Each case opens a
 * fresh system with `harness.open()`, works on `fixture.store` (and on
 * stores from `fixture.reopen()`), closes every store it used and then the
 * fixture. Every call is bounded by `options.timeoutMs`. The cases:
 *
 * - **append() stores events in order and read() gives them back with
 *   their versions**: versions count each stream's events from 1, an
 *   append returns the new version, an unknown stream reads empty;
 * - **an append at a wrong expected version throws
 *   WrongExpectedVersionError and stores nothing** (behind, ahead, 0 on an
 *   existing stream; its `code`, versions and message);
 * - **of 20 concurrent appends at the same expected version exactly one
 *   wins**, on a new stream and on an existing one, and the winner's
 *   events are stored together;
 * - **concurrent appends to different connectors all succeed**;
 * - **list() gives every stream sorted by id, deleted ones marked**, and
 *   an id created again after its deletion;
 * - **events read back JSON-round-trip unchanged**: every event type, data
 *   of every JSON kind, `${ENV}` as written, ids that break naive file
 *   names or SQL; changing what was appended or read changes nothing
 *   stored;
 * - **refuses malformed appends with TypeError or RangeError and stores
 *   nothing**;
 * - **a call with an aborted signal rejects with its reason**;
 * - **a closed store rejects calls**;
 * - with `harness.durable`: **a reopened store holds every event and goes on
 *   from their versions**, and **two store objects over the same data see
 *   each other's appends and cannot both win**.
 *
 * A failed case throws a {@linkcode ConformanceError}.
 *
 * @param harness How to set up a store over a fresh system.
 * @param options `test` (the test runner's function) and `timeoutMs`.
 *
 * @example Check the memory store
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import { definitionStoreConformance } from "@ca/streams/testing";
 *
 * // In a test file: definitionStoreConformance(harness, { test }) with
 * // node:test's test, or { test: Deno.test }. Here the cases are collected and run.
 * const cases: Array<() => Promise<void>> = [];
 * definitionStoreConformance({
 *   name: "memoryDefinitionStore()",
 *   open: () => ({ store: memoryDefinitionStore(), close() {} }),
 * }, { test: (_name, fn) => void cases.push(fn) });
 * for (const run of cases) await run();
 * ```
 */
export function definitionStoreConformance(
  harness: DefinitionStoreHarness,
  options: Pick<ConformanceOptions, "test" | "timeoutMs">,
): void {
  checkHarness("definitionStoreConformance()", harness, ["open"]);
  const settings = settingsOf("definitionStoreConformance()", {
    ...options,
    records: undefined,
  });
  const body = (
    method: (run: CaseRun, stores: Stores) => Promise<void>,
  ) =>
  (run: CaseRun, fixture: DefinitionStoreFixture) =>
    Stores.use(run, fixture, (stores) => method(run, stores));
  const cases: Case<DefinitionStoreFixture>[] = [
    [
      "append() stores events in order and read() gives them back with their versions",
      body(roundTrip),
    ],
    [
      "an append at a wrong expected version throws WrongExpectedVersionError and stores nothing",
      body(wrongVersion),
    ],
    [
      `of ${RACERS} concurrent appends at the same expected version exactly one wins`,
      body(race),
    ],
    [
      "concurrent appends to different connectors all succeed",
      body(parallel),
    ],
    [
      "list() gives every stream sorted by id, deleted ones marked",
      body(listing),
    ],
    ["events read back JSON-round-trip unchanged", body(jsonRoundTrip)],
    [
      "refuses malformed appends with TypeError or RangeError and stores nothing",
      body(malformed),
    ],
    ["a call with an aborted signal rejects with its reason", body(aborted)],
    ["a closed store rejects calls", body(closedStore)],
    [
      "a reopened store holds every event and goes on from their versions",
      body(reopened),
    ],
    [
      "two store objects over the same data see each other's appends and cannot both win",
      body(twoObjects),
    ],
  ];
  if (harness.durable !== true) cases.splice(-2);
  registerCases(
    harness.name,
    cases,
    async () => {
      const fixture = await harness.open();
      if (
        fixture === null || typeof fixture !== "object" ||
        typeof fixture.store?.append !== "function"
      ) {
        throw new TypeError(
          "open() must return { store, reopen?, close } with a definition store as store",
        );
      }
      if (harness.durable === true && typeof fixture.reopen !== "function") {
        throw new TypeError(
          "open() of a durable store must return a fixture with reopen()",
        );
      }
      return fixture;
    },
    settings,
  );
}

/**
 * The stores of one case: the fixture's and those `reopen()` made, each
 * call bounded by the case's timeout and failing the case when it rejects
 * unexpectedly. Closes every store at the end of the case.
 */
class Stores {
  readonly run: CaseRun;
  readonly fixture: DefinitionStoreFixture;
  readonly #open = new Set<DefinitionStore>();

  constructor(run: CaseRun, fixture: DefinitionStoreFixture) {
    this.run = run;
    this.fixture = fixture;
    this.#open.add(fixture.store);
  }

  /** Runs `body`, then closes every store still open. */
  static async use(
    run: CaseRun,
    fixture: DefinitionStoreFixture,
    body: (stores: Stores) => Promise<void>,
  ): Promise<void> {
    const stores = new Stores(run, fixture);
    let failure: { error: unknown } | undefined;
    try {
      await body(stores);
    } catch (error) {
      failure = { error };
    }
    for (const store of stores.#open) {
      const closed = await settle(
        run.within(
          settle(Promise.resolve().then(() => store.close())),
          "close()",
        ),
      );
      if (failure) continue;
      if (!closed.ok) failure = { error: closed.error };
      else if (!closed.value.ok) {
        failure = {
          error: new ConformanceError(
            run.connector,
            run.testCase,
            `close() of a store failed: ${describeError(closed.value.error)}`,
            { cause: closed.value.error },
          ),
        };
      }
    }
    if (failure) throw failure.error;
  }

  get store(): DefinitionStore {
    return this.fixture.store;
  }

  /** Opens another store over the same data with `fixture.reopen()`. */
  async reopen(): Promise<DefinitionStore> {
    const made = await this.call(
      "reopen() to open the store again",
      () => this.fixture.reopen!(),
    );
    if (made === null || typeof made !== "object") {
      this.run.fail("reopen() must return a definition store");
    }
    this.#open.add(made);
    return made;
  }

  /** Closes a store the case is done with. */
  async close(store: DefinitionStore): Promise<void> {
    this.#open.delete(store);
    await this.call("close()", () => store.close());
  }

  /** Calls the store; fails the case when it rejects or hangs. */
  async call<T>(what: string, fn: () => T | PromiseLike<T>): Promise<T> {
    const settled = await this.run.within(
      settle(Promise.resolve().then(fn)),
      `${what} to settle`,
    );
    if (!settled.ok) this.run.fail(`${what} failed`, settled.error);
    return settled.value;
  }

  /** Calls the store; returns what it rejected with, failing the case when it resolves. */
  async rejection(
    what: string,
    fn: () => PromiseLike<unknown>,
  ): Promise<unknown> {
    const settled = await this.run.within(
      settle(Promise.resolve().then(fn)),
      `${what} to settle`,
    );
    if (settled.ok) {
      this.run.fail(
        `${what} resolved (to ${canonicalJson(settled.value)}); it must reject`,
      );
    }
    return settled.error;
  }

  append(
    events: readonly DefinitionEvent[],
    expectedVersion: number,
    store: DefinitionStore = this.store,
  ): Promise<number> {
    const connector = events[0]!.connector;
    return this.call(
      `append(${
        JSON.stringify(connector)
      }, ${events.length} event(s), ${expectedVersion})`,
      () => store.append(connector, events, expectedVersion),
    );
  }

  read(
    connector: string,
    store: DefinitionStore = this.store,
  ): Promise<StoredDefinitionEvent[]> {
    return this.call(
      `read(${JSON.stringify(connector)})`,
      () => store.read(connector),
    );
  }

  list(store: DefinitionStore = this.store): Promise<DefinitionStreamInfo[]> {
    return this.call("list()", () => store.list());
  }

  /** Fails the case unless `read()` gives exactly `events` (as JSON, with versions). */
  async expectStream(
    connector: string,
    events: readonly unknown[],
    when: string,
    store: DefinitionStore = this.store,
  ): Promise<void> {
    const read = await this.read(connector, store);
    if (!Array.isArray(read)) {
      this.run.fail(`read() must give an array, got ${canonicalJson(read)}`);
    }
    if (read.length !== events.length) {
      this.run.fail(
        `${when}, read(${
          JSON.stringify(connector).slice(0, 40)
        }) gave ${read.length} event(s), expected ${events.length}: ${
          canonicalJson(read).slice(0, 300)
        }`,
      );
    }
    for (let i = 0; i < events.length; i++) {
      const got = canonicalJson(read[i]);
      const want = canonicalJson(events[i]);
      if (got !== want) {
        this.run.fail(
          `${when}, event ${i + 1} of ${
            JSON.stringify(connector).slice(0, 40)
          } reads back as ${got.slice(0, 300)}, expected ${want.slice(0, 300)}`,
        );
      }
    }
  }

  /** Fails the case unless `list()` gives exactly `streams`. */
  async expectList(
    streams: readonly DefinitionStreamInfo[],
    when: string,
    store: DefinitionStore = this.store,
  ): Promise<void> {
    const got = canonicalJson(await this.list(store));
    const want = canonicalJson(streams);
    if (got !== want) {
      this.run.fail(
        `${when}, list() gave ${got.slice(0, 400)}, expected ${
          want.slice(0, 400)
        }`,
      );
    }
  }

  /** Fails the case unless `error` is the WrongExpectedVersionError described. */
  expectWrongVersion(
    error: unknown,
    connector: string,
    expectedVersion: number,
    actualVersion: number,
  ): void {
    if (!isWrongVersion(error)) {
      this.run.fail(
        `expected a WrongExpectedVersionError (code CA_ERR_WRONG_EXPECTED_VERSION), got ${
          describeError(error)
        }`,
        error,
      );
    }
    const wrong = error as Error & {
      connector?: unknown;
      expectedVersion?: unknown;
      actualVersion?: unknown;
    };
    const message =
      `Cannot append to connector "${connector}": expected version ${expectedVersion}, the stream is at ${actualVersion}`;
    if (
      wrong.name !== "WrongExpectedVersionError" ||
      wrong.connector !== connector ||
      wrong.expectedVersion !== expectedVersion ||
      wrong.actualVersion !== actualVersion || wrong.message !== message
    ) {
      this.run.fail(
        `expected ${
          JSON.stringify({ connector, expectedVersion, actualVersion, message })
        }, got ${
          JSON.stringify({
            name: wrong.name,
            connector: wrong.connector,
            expectedVersion: wrong.expectedVersion,
            actualVersion: wrong.actualVersion,
            message: wrong.message,
          })
        }`,
      );
    }
  }
}

async function roundTrip(run: CaseRun, s: Stores): Promise<void> {
  await s.expectStream("orders", [], "before any append");
  const first = [created("orders")];
  const version = await s.append(first, 0);
  if (version !== 1) run.fail(`the first append must return 1, got ${version}`);
  const more: DefinitionEvent[] = [
    simple("started", "orders"),
    {
      type: "failed",
      connector: "orders",
      at: AT,
      data: { error: { code: "E1", message: "boom" } },
    },
    {
      type: "recovering",
      connector: "orders",
      at: AT,
      data: { attempt: 1, delayMs: 1000 },
    },
  ];
  const next = await s.append(more, 1);
  if (next !== 4) {
    run.fail(`an append of 3 events at version 1 must return 4, got ${next}`);
  }
  const other = await s.append([created("other")], 0);
  if (other !== 1) {
    run.fail(`the first append to another stream must return 1, got ${other}`);
  }
  await s.expectStream(
    "orders",
    expected([...first, ...more]),
    "after appends",
  );
  await s.expectStream("other", expected([created("other")]), "after appends");
  await s.expectStream("missing", [], "for a stream never appended to");
  const again = await s.append([simple("stopped", "orders")], 4);
  if (again !== 5) {
    run.fail(`an append at version 4 must return 5, got ${again}`);
  }
}

async function wrongVersion(run: CaseRun, s: Stores): Promise<void> {
  const id = "orders";
  s.expectWrongVersion(
    await s.rejection(
      "append() at version 1 to a stream that does not exist",
      () => s.store.append(id, [created(id)], 1),
    ),
    id,
    1,
    0,
  );
  await s.expectStream(id, [], "after an append at a wrong version");
  await s.append([created(id)], 0);
  for (const expectedVersion of [0, 2, 5]) {
    s.expectWrongVersion(
      await s.rejection(
        `append() at version ${expectedVersion} to a stream at 1`,
        () =>
          s.store.append(
            id,
            [simple("started", id), simple("stopped", id)],
            expectedVersion,
          ),
      ),
      id,
      expectedVersion,
      1,
    );
  }
  await s.expectStream(
    id,
    expected([created(id)]),
    "after appends at wrong versions",
  );
  await s.expectList(
    [{ connector: id, version: 1, deleted: false }],
    "after appends at wrong versions",
  );
  if (await s.append([simple("started", id)], 1) !== 2) {
    run.fail("an append at the right version after conflicts must return 2");
  }
}

async function race(run: CaseRun, s: Stores): Promise<void> {
  for (
    const [label, expectedVersion] of [["a new", 0], [
      "an existing",
      1,
    ]] as const
  ) {
    const id = `race-${expectedVersion}`;
    if (expectedVersion === 1) await s.append([created(id)], 0);
    const batches = Array.from(
      { length: RACERS },
      (_, writer) =>
        expectedVersion === 0 ? [created(id, { id, writer })] : [
          {
            type: "reconfigured",
            connector: id,
            at: AT,
            data: { config: { id, writer } },
          } as DefinitionEvent,
          simple("started", id),
        ],
    );
    const results = await s.run.within(
      Promise.all(
        batches.map((events) =>
          settle(
            Promise.resolve().then(() =>
              s.store.append(id, events, expectedVersion)
            ),
          )
        ),
      ),
      `${RACERS} concurrent appends to settle`,
    );
    const winners = results.flatMap((result, writer) =>
      result.ok ? [writer] : []
    );
    const others = results.filter((result) =>
      !result.ok && !isWrongVersion(result.error)
    );
    if (others.length > 0) {
      const error = (others[0] as { error: unknown }).error;
      run.fail(
        `of ${RACERS} concurrent appends to ${label} stream, ${others.length} failed with another error than WrongExpectedVersionError`,
        error,
      );
    }
    if (winners.length !== 1) {
      run.fail(
        `of ${RACERS} concurrent appends at version ${expectedVersion} to ${label} stream, ${winners.length} succeeded; exactly one must`,
      );
    }
    const winner = winners[0]!;
    const value = (results[winner] as { value: unknown }).value;
    const want = expectedVersion + batches[winner]!.length;
    if (value !== want) {
      run.fail(`the winning append must return ${want}, got ${value}`);
    }
    for (const result of results) {
      if (!result.ok) {
        s.expectWrongVersion(result.error, id, expectedVersion, want);
      }
    }
    const before = expectedVersion === 0 ? [] : [created(id)];
    await s.expectStream(
      id,
      expected([...before, ...batches[winner]!]),
      `after ${RACERS} concurrent appends to ${label} stream (writer ${winner} won)`,
    );
  }
}

async function parallel(run: CaseRun, s: Stores): Promise<void> {
  const ids = Array.from(
    { length: RACERS },
    (_, i) => `connector-${String(i).padStart(2, "0")}`,
  );
  const results = await run.within(
    Promise.all(
      ids.map((id) =>
        settle(
          Promise.resolve().then(() =>
            s.store.append(id, [created(id), simple("started", id)], 0)
          ),
        )
      ),
    ),
    `${RACERS} concurrent appends to different connectors to settle`,
  );
  results.forEach((result, i) => {
    if (!result.ok) {
      run.fail(
        `the append to ${ids[i]} among ${RACERS} concurrent ones failed`,
        result.error,
      );
    }
    if (result.value !== 2) {
      run.fail(
        `the append of 2 events to new stream ${
          ids[i]
        } must return 2, got ${result.value}`,
      );
    }
  });
  await s.expectList(
    ids.map((connector) => ({ connector, version: 2, deleted: false })),
    `after ${RACERS} concurrent appends to different connectors`,
  );
  for (const id of ids) {
    await s.expectStream(
      id,
      expected([created(id), simple("started", id)]),
      "after concurrent appends",
    );
  }
}

async function listing(_run: CaseRun, s: Stores): Promise<void> {
  await s.expectList([], "on an empty store");
  await s.append([created("b")], 0);
  await s.append([created("ä"), simple("started", "ä")], 0);
  await s.append(
    [created("a"), simple("started", "a"), simple("stopped", "a")],
    0,
  );
  await s.append([created("B")], 0);
  await s.append([simple("deleted", "b")], 1);
  await s.expectList([
    { connector: "B", version: 1, deleted: false },
    { connector: "a", version: 3, deleted: false },
    { connector: "b", version: 2, deleted: true },
    { connector: "ä", version: 2, deleted: false },
  ], "after appends to four streams and deleting b");
  await s.append([created("b", { id: "b", again: true })], 2);
  await s.expectList([
    { connector: "B", version: 1, deleted: false },
    { connector: "a", version: 3, deleted: false },
    { connector: "b", version: 3, deleted: false },
    { connector: "ä", version: 2, deleted: false },
  ], "after creating b again at version 2");
  await s.expectStream(
    "b",
    expected([
      created("b"),
      simple("deleted", "b"),
      created("b", { id: "b", again: true }),
    ]),
    "after creating b again",
  );
}

async function jsonRoundTrip(run: CaseRun, s: Stores): Promise<void> {
  for (const id of SPECIAL_IDS) {
    const events = everyType(id);
    await s.append(events.slice(0, 4), 0);
    await s.append(events.slice(4), 4);
    await s.expectStream(
      id,
      expected(events),
      "after appending an event of every type",
    );
  }
  // What was appended and what was read are copies.
  const config: Record<string, unknown> = { id: "copy", list: [1, 2] };
  await s.append([created("copy", config)], 0);
  config.id = "changed";
  (config.list as number[]).push(3);
  const first = await s.read("copy");
  const data = first[0]?.data as
    | { config: { id: string; list: number[] } }
    | undefined;
  if (data?.config?.id !== "copy") {
    run.fail(
      "changing a config after appending it changed what the store holds",
    );
  }
  data.config.list.push(4);
  await s.expectStream(
    "copy",
    expected([created("copy", { id: "copy", list: [1, 2] })]),
    "after changing the events appended and read",
  );
  const listed = await s.list();
  const ids = listed.map((stream) => stream.connector);
  const want = [...SPECIAL_IDS, "copy"].sort();
  if (canonicalJson(ids) !== canonicalJson(want)) {
    run.fail(
      `list() gave the ids ${canonicalJson(ids).slice(0, 300)}, expected ${
        canonicalJson(want).slice(0, 300)
      }`,
    );
  }
}

async function malformed(run: CaseRun, s: Stores): Promise<void> {
  const id = "orders";
  const bad: Array<
    [string, "TypeError" | "RangeError", () => PromiseLike<unknown>]
  > = [
    ["no events", "RangeError", () => s.store.append(id, [], 0)],
    [
      "events not an array",
      "TypeError",
      () => s.store.append(id, created(id) as never, 0),
    ],
    [
      "expected version -1",
      "RangeError",
      () => s.store.append(id, [created(id)], -1),
    ],
    [
      "expected version 0.5",
      "RangeError",
      () => s.store.append(id, [created(id)], 0.5),
    ],
    [
      'expected version "0"',
      "TypeError",
      () => s.store.append(id, [created(id)], "0" as never),
    ],
    [
      "an empty connector id",
      "TypeError",
      () => s.store.append("", [created("")], 0),
    ],
    [
      "an event of another connector",
      "TypeError",
      () => s.store.append(id, [created("other")], 0),
    ],
    [
      "an unknown type",
      "TypeError",
      () =>
        s.store.append(id, [
          { ...simple("started", id), type: "paused" } as never,
        ], 0),
    ],
    [
      "at without milliseconds",
      "TypeError",
      () =>
        s.store.append(id, [{ ...created(id), at: "2026-03-01T12:00:00Z" }], 0),
    ],
    [
      "at with an offset",
      "TypeError",
      () =>
        s.store.append(id, [{
          ...created(id),
          at: "2026-03-01T14:00:00.000+02:00",
        }], 0),
    ],
    [
      "at on February 30",
      "TypeError",
      () =>
        s.store.append(
          id,
          [{ ...created(id), at: "2026-02-30T12:00:00.000Z" }],
          0,
        ),
    ],
    [
      "at as a Date",
      "TypeError",
      () =>
        s.store.append(id, [{ ...created(id), at: new Date(AT) as never }], 0),
    ],
    [
      "no data",
      "TypeError",
      () =>
        s.store.append(id, [
          { type: "started", connector: id, at: AT } as never,
        ], 0),
    ],
    [
      "created without a config",
      "TypeError",
      () =>
        s.store.append(id, [
          { type: "created", connector: id, at: AT, data: {} } as never,
        ], 0),
    ],
    [
      "failed without an error code",
      "TypeError",
      () =>
        s.store.append(id, [
          {
            type: "failed",
            connector: id,
            at: AT,
            data: { error: { message: "x" } },
          } as never,
        ], 0),
    ],
    [
      "recovering at attempt 0",
      "TypeError",
      () =>
        s.store.append(id, [{
          type: "recovering",
          connector: id,
          at: AT,
          data: { attempt: 0, delayMs: 0 },
        }], 0),
    ],
    [
      "reset without a position",
      "TypeError",
      () =>
        s.store.append(id, [
          { type: "reset", connector: id, at: AT, data: {} } as never,
        ], 0),
    ],
    [
      "a NUL character in the config",
      "TypeError",
      () => s.store.append(id, [created(id, { id, bad: "a\0b" })], 0),
    ],
    [
      "a bigint in the config",
      "TypeError",
      () => s.store.append(id, [created(id, { id, big: 1n })], 0),
    ],
    [
      "a good event then a bad one",
      "TypeError",
      () =>
        s.store.append(id, [created(id), {
          ...simple("started", id),
          at: "yesterday",
        }], 0),
    ],
  ];
  for (const [what, name, call] of bad) {
    const error = await s.rejection(`append() with ${what}`, call);
    if (!(error instanceof Error) || error.name !== name) {
      run.fail(
        `append() with ${what} must reject with a ${name}, got ${
          describeError(error)
        }`,
        error,
      );
    }
  }
  await s.expectList([], "after malformed appends");
  await s.expectStream(id, [], "after malformed appends");
}

async function aborted(run: CaseRun, s: Stores): Promise<void> {
  const controller = new AbortController();
  const reason = new Error("given up");
  controller.abort(reason);
  const options = { signal: controller.signal };
  const calls: Array<[string, () => PromiseLike<unknown>]> = [
    [
      "append()",
      () => s.store.append("orders", [created("orders")], 0, options),
    ],
    ["read()", () => s.store.read("orders", options)],
    ["list()", () => s.store.list(options)],
  ];
  for (const [what, call] of calls) {
    const error = await s.rejection(`${what} with an aborted signal`, call);
    if (error !== reason) {
      run.fail(
        `${what} with an aborted signal must reject with the signal's reason, got ${
          describeError(error)
        }`,
      );
    }
  }
  await s.expectList([], "after an append with an aborted signal");
}

async function closedStore(run: CaseRun, s: Stores): Promise<void> {
  await s.append([created("orders")], 0);
  await s.close(s.store);
  const calls: Array<[string, () => PromiseLike<unknown>]> = [
    [
      "append()",
      () => s.store.append("orders", [simple("started", "orders")], 1),
    ],
    ["read()", () => s.store.read("orders")],
    ["list()", () => s.store.list()],
  ];
  for (const [what, call] of calls) {
    const error = await s.rejection(`${what} after close()`, call);
    if (!(error instanceof Error)) {
      run.fail(
        `${what} after close() must reject with an Error, got ${
          describeError(error)
        }`,
      );
    }
  }
}

async function reopened(run: CaseRun, s: Stores): Promise<void> {
  const streams = ["orders", "it's ünïcödé", "gone"];
  const written = new Map<string, DefinitionEvent[]>();
  for (const id of streams) {
    const events = everyType(id).slice(0, id === "gone" ? undefined : 6);
    let version = 0;
    for (const event of events) version = await s.append([event], version);
    written.set(id, events);
  }
  await s.close(s.store);
  let store = await s.reopen();
  const listed: DefinitionStreamInfo[] = [
    { connector: "gone", version: 9, deleted: true },
    { connector: "it's ünïcödé", version: 6, deleted: false },
    { connector: "orders", version: 6, deleted: false },
  ];
  await s.expectList(listed, "after reopening", store);
  for (const id of streams) {
    await s.expectStream(
      id,
      expected(written.get(id)!),
      "after reopening",
      store,
    );
  }
  s.expectWrongVersion(
    await s.rejection(
      "append() at a stale version after reopening",
      () => store.append("orders", [simple("started", "orders")], 5),
    ),
    "orders",
    5,
    6,
  );
  if (await s.append([simple("started", "orders")], 6, store) !== 7) {
    run.fail("an append at version 6 after reopening must return 7");
  }
  await s.close(store);
  store = await s.reopen();
  await s.expectStream(
    "orders",
    expected([...written.get("orders")!, simple("started", "orders")]),
    "after reopening twice",
    store,
  );
}

async function twoObjects(run: CaseRun, s: Stores): Promise<void> {
  const id = "orders";
  const other = await s.reopen();
  await s.append([created(id)], 0);
  await s.expectStream(
    id,
    expected([created(id)]),
    "read by a second store object",
    other,
  );
  await s.append([simple("started", id)], 1, other);
  s.expectWrongVersion(
    await s.rejection(
      "append() at version 1 after the second store object appended",
      () => s.store.append(id, [simple("stopped", id)], 1),
    ),
    id,
    1,
    2,
  );
  const results = await run.within(
    Promise.all(
      Array.from({ length: RACERS }, (_, writer) =>
        settle(
          Promise.resolve().then(() =>
            (writer % 2 === 0 ? s.store : other).append(
              id,
              [{
                type: "reconfigured",
                connector: id,
                at: AT,
                data: { config: { id, writer } },
              }],
              2,
            )
          ),
        )),
    ),
    `${RACERS} concurrent appends through two store objects to settle`,
  );
  const winners = results.flatMap((result, writer) =>
    result.ok ? [writer] : []
  );
  if (winners.length !== 1) {
    const other = results.find((result) =>
      !result.ok && !isWrongVersion(result.error)
    );
    run.fail(
      `of ${RACERS} concurrent appends at version 2 through two store objects, ${winners.length} succeeded; exactly one must`,
      other === undefined ? undefined : (other as { error: unknown }).error,
    );
  }
  const want = expected([
    created(id),
    simple("started", id),
    {
      type: "reconfigured",
      connector: id,
      at: AT,
      data: { config: { id, writer: winners[0]! } },
    },
  ]);
  await s.expectStream(
    id,
    want,
    "after the race, read by the first store object",
  );
  await s.expectStream(
    id,
    want,
    "after the race, read by the second store object",
    other,
  );
}
