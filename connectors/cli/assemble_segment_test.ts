// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StageError } from "../../src/errors/stage_error.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { map } from "../../src/processors/map.ts";
import { tap } from "../../src/processors/tap.ts";
import { collect } from "../../src/sinks/collect.ts";
import { assembleSegment, type SegmentNode } from "./assemble_segment.ts";

interface Row {
  id: number;
  kind: string;
  n?: number;
}

/** A node; `outputs` are filled from the others' `inputs`. */
function nodes(
  list: Omit<SegmentNode, "outputs">[],
): SegmentNode[] {
  const all = list.map((node) => ({ ...node, outputs: [] as string[] }));
  for (const node of all) {
    for (const input of node.inputs) {
      all.find((other) => other.name === input)!.outputs.push(node.name);
    }
  }
  return all;
}

function counting() {
  const counts = new Map<string, number>();
  const make = (name: string) => {
    counts.set(name, 0);
    return tap(() => counts.set(name, counts.get(name)! + 1));
  };
  return { counts, make };
}

test("assembleSegment(): a merge, a line, a fan-out to a sink and a route, each record where it belongs", async () => {
  const archive = collect<Row>();
  const orders = collect<Row>();
  const refunds = collect<Row>();
  const { counts, make } = counting();
  const assembled = assembleSegment(
    nodes([
      {
        name: "a",
        role: "source",
        inputs: [],
        part: [{ id: 1, kind: "order" }, { id: 2, kind: "refund" }],
      },
      {
        name: "b",
        role: "source",
        inputs: [],
        part: [{ id: 3, kind: "order" }],
      },
      {
        name: "twice",
        role: "processor",
        inputs: ["a"],
        part: map((r: Row) => ({ ...r, n: r.id * 2 })),
      },
      {
        name: "all",
        role: "processor",
        inputs: ["twice", "b"],
        part: map((r: Row) => ({ ...r, n: (r.n ?? 0) + 1 })),
      },
      { name: "archive", role: "sink", inputs: ["all"], part: archive },
      {
        name: "split",
        role: "route",
        inputs: ["all"],
        part: (r: Row) => r.kind === "order" ? ["orders"] : ["refunds-file"],
      },
      { name: "orders", role: "sink", inputs: ["split"], part: orders },
      {
        name: "refunds",
        role: "sink",
        inputs: ["split"],
        // A channel writer: its branch is named after the processor it writes to.
        part: refunds,
        to: "refunds-file",
      },
    ]),
    make,
  );
  const running = pipeline(
    ...(assembled.stages as [Iterable<Row>, WritableStream<Row>]),
  );
  const summary = await running;
  const sorted = (sink: { records: Row[] }) =>
    sink.records.map((r) => `${r.id}:${r.n}`).sort();
  assert.deepEqual(sorted(archive), ["1:3", "2:5", "3:1"]);
  assert.deepEqual(sorted(orders), ["1:3", "3:1"]);
  assert.deepEqual(sorted(refunds), ["2:5"]);
  assert.deepEqual(Object.fromEntries(counts), { twice: 2, all: 3, split: 3 });
  assert.deepEqual(Object.fromEntries(assembled.originKeys), {
    a: "a",
    b: "b",
  });
  assert.deepEqual(Object.fromEntries(assembled.sinkKeys), {
    archive: "archive",
    orders: "split/orders",
    refunds: "split/refunds-file",
  });
  assert.equal(summary.origins?.a?.recordsRead, 2);
  assert.equal(summary.sinks?.["split/orders"]?.recordsWritten, 2);
  assert.equal(summary.sinks?.["split/refunds-file"]?.recordsWritten, 1);
});

test("assembleSegment(): a failing processor on a branch is found by its StageError, with taps or without", async () => {
  const { make } = counting();
  const failing = (name: string) =>
    map((r: Row) => {
      if (r.id === 2) throw new Error(`${name} fails`);
      return r;
    });
  const same = (r: Row) => r;
  const cases = (["line", "origin", "branch"] as const).flatMap((where) =>
    [true, false].map((taps) => ({ where, taps }))
  );
  for (const { where, taps } of cases) {
    const assembled = assembleSegment(
      nodes([
        {
          name: "src",
          role: "source",
          inputs: [],
          part: [{ id: 1 }, { id: 2 }],
        },
        {
          name: "other",
          role: "source",
          inputs: [],
          part: where === "origin" ? [{ id: 3 }] : [],
        },
        // Not the first of their lines: their stage index depends on taps.
        { name: "zero", role: "processor", inputs: ["src"], part: map(same) },
        {
          name: "first",
          role: "processor",
          inputs: ["zero"],
          part: where === "origin" ? failing("first") : map((r: Row) => r),
        },
        {
          name: "joined",
          role: "processor",
          inputs: ["first", "other"],
          part: where === "line" ? failing("joined") : map((r: Row) => r),
        },
        { name: "x", role: "sink", inputs: ["joined"], part: collect() },
        { name: "pre", role: "processor", inputs: ["joined"], part: map(same) },
        {
          name: "deep",
          role: "processor",
          inputs: ["pre"],
          part: where === "branch" ? failing("deep") : map((r: Row) => r),
        },
        { name: "y", role: "sink", inputs: ["deep"], part: collect() },
      ]),
      taps ? make : undefined,
    );
    const error = await pipeline(
      ...(assembled.stages as [Iterable<Row>, WritableStream<Row>]),
    ).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof StageError, `${where}: ${error}`);
    const found = assembled.stageNodes.get(
      `${error.branch ?? ""}#${error.stageIndex}`,
    );
    const expected = { line: "joined", origin: "first", branch: "deep" }[where];
    assert.equal(
      found,
      expected,
      `${where} (${taps ? "taps" : "no taps"}): ${error.message}`,
    );
  }
});

test("assembleSegment(): one source fanned out at once; a line stays a line", async () => {
  const { make } = counting();
  const left = collect<Row>();
  const right = collect<Row>();
  const fanned = assembleSegment(
    nodes([
      { name: "src", role: "source", inputs: [], part: [{ id: 1 }] },
      { name: "left", role: "sink", inputs: ["src"], part: left },
      { name: "right", role: "sink", inputs: ["src"], part: right },
    ]),
    make,
  );
  await pipeline(...(fanned.stages as [Iterable<Row>, WritableStream<Row>]));
  assert.equal(left.records.length, 1);
  assert.equal(right.records.length, 1);
  assert.deepEqual(Object.fromEntries(fanned.originKeys), { src: undefined });

  const out = collect<Row>();
  const line = assembleSegment(
    nodes([
      { name: "src", role: "source", inputs: [], part: [{ id: 1 }] },
      {
        name: "p",
        role: "processor",
        inputs: ["src"],
        part: map((r: Row) => r),
      },
      { name: "out", role: "sink", inputs: ["p"], part: out },
    ]),
    make,
  );
  assert.equal(line.stages.length, 4, "source, processor, tap, sink");
  assert.equal(line.stages.at(-1), out);
  assert.deepEqual(Object.fromEntries(line.sinkKeys), { out: undefined });
  assert.throws(
    () =>
      assembleSegment(
        nodes([
          { name: "a", role: "source", inputs: [], part: [] },
          { name: "b", role: "source", inputs: [], part: [] },
          {
            name: "j1",
            role: "processor",
            inputs: ["a", "b"],
            part: map((r) => r),
          },
          { name: "c", role: "source", inputs: [], part: [] },
          { name: "j2", role: "sink", inputs: ["j1", "c"], part: collect() },
        ]),
        make,
      ),
    /^TypeError: Cannot assemble segment: "j1" and "j2" both join branches/,
  );
});
