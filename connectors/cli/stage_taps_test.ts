// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StageError } from "../../src/errors/stage_error.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { map } from "../../src/processors/map.ts";
import { collect } from "../../src/sinks/collect.ts";
import { assembleSegment, type SegmentNode } from "./assemble_segment.ts";
import { StageTaps } from "./stage_taps.ts";

interface Row {
  id: number;
  n?: number;
}

/** The nodes by name; `outputs` filled from the others' `inputs`. */
function nodes(list: Omit<SegmentNode, "outputs">[]): Map<string, SegmentNode> {
  const all = list.map((node) => ({ ...node, outputs: [] as string[] }));
  for (const node of all) {
    for (const input of node.inputs) {
      all.find((other) => other.name === input)!.outputs.push(node.name);
    }
  }
  return new Map(all.map((node) => [node.name, node]));
}

/** Assembles with a tap after each processor, as the runner does. */
function assemble(taps: StageTaps, graph: Map<string, SegmentNode>) {
  return assembleSegment([...graph.values()], (name) => taps.observer(name));
}

/** Records each listener saw, by stage. */
function listen(taps: StageTaps, stages: string[]) {
  const seen: Record<string, unknown[]> = {};
  const stops = stages.map((stage) => {
    seen[stage] = [];
    return taps.add(stage, (records) => void seen[stage]!.push(...records));
  });
  return { seen, stop: () => stops.forEach((stop) => stop()) };
}

const rows = (from: number, to: number): Row[] =>
  Array.from({ length: to - from }, (_, i) => ({ id: from + i }));

test("StageTaps: a source's records before its processors, a processor's after it; the output is unchanged", async () => {
  const taps = new StageTaps();
  const out = collect<Row>();
  const graph = nodes([
    { name: "src", role: "source", inputs: [], part: rows(0, 2500) },
    {
      name: "double",
      role: "processor",
      inputs: ["src"],
      part: map((r: Row) => ({ ...r, n: r.id * 2 })),
    },
    { name: "out", role: "sink", inputs: ["double"], part: out },
  ]);
  taps.afterSources(graph, ["src"]);
  const { seen, stop } = listen(taps, ["src", "double"]);
  const assembled = assemble(taps, graph);
  await pipeline(
    ...(assembled.stages as [Iterable<Row>, WritableStream<Row>]),
    { batchSize: 1000 },
  );
  stop();
  assert.deepEqual(seen.src, rows(0, 2500));
  assert.deepEqual(
    seen.double,
    rows(0, 2500).map((r) => ({ ...r, n: r.id * 2 })),
  );
  assert.deepEqual(out.records, seen.double);
  assert.deepEqual(Object.fromEntries(assembled.originKeys), {
    src: undefined,
  });
  assert.equal(taps.listening("src"), false);
});

test("StageTaps: each source of a merge is tapped on its own, and one fanned out at once too", async () => {
  const taps = new StageTaps();
  const out = collect<Row>();
  const merged = nodes([
    { name: "a", role: "source", inputs: [], part: rows(0, 3) },
    { name: "b", role: "source", inputs: [], part: rows(10, 12) },
    {
      name: "all",
      role: "processor",
      inputs: ["a", "b"],
      part: map((r: Row) => r),
    },
    { name: "out", role: "sink", inputs: ["all"], part: out },
  ]);
  taps.afterSources(merged, ["a", "b"]);
  const { seen } = listen(taps, ["a", "b", "all"]);
  const assembled = assemble(taps, merged);
  const summary = await pipeline(
    ...(assembled.stages as [Iterable<Row>, WritableStream<Row>]),
  );
  assert.deepEqual(seen.a, rows(0, 3));
  assert.deepEqual(seen.b, rows(10, 12));
  assert.equal(seen.all!.length, 5);
  assert.equal(
    summary.origins?.a?.recordsRead,
    3,
    "the merge counts by source still",
  );

  const fanTaps = new StageTaps();
  const left = collect<Row>();
  const right = collect<Row>();
  const fanned = nodes([
    { name: "src", role: "source", inputs: [], part: rows(0, 4) },
    { name: "left", role: "sink", inputs: ["src"], part: left },
    { name: "right", role: "sink", inputs: ["src"], part: right },
  ]);
  fanTaps.afterSources(fanned, ["src"]);
  const fanSeen = listen(fanTaps, ["src"]).seen;
  await pipeline(
    ...(assemble(fanTaps, fanned).stages as [
      Iterable<Row>,
      WritableStream<Row>,
    ]),
  );
  assert.deepEqual(fanSeen.src, rows(0, 4));
  assert.equal(left.records.length, 4);
  assert.equal(right.records.length, 4);
});

test("StageTaps: a listener that throws does not fail the pipeline, and a failing processor is still found by its StageError", async () => {
  const taps = new StageTaps();
  const out = collect<Row>();
  const graph = nodes([
    { name: "src", role: "source", inputs: [], part: rows(0, 10) },
    {
      name: "check",
      role: "processor",
      inputs: ["src"],
      part: map((r: Row) => {
        if (r.id === 7) throw new Error("seven");
        return r;
      }),
    },
    { name: "out", role: "sink", inputs: ["check"], part: out },
  ]);
  taps.afterSources(graph, ["src"]);
  taps.add("src", () => {
    throw new Error("a broken listener");
  });
  const assembled = assemble(taps, graph);
  const error = await pipeline(
    ...(assembled.stages as [Iterable<Row>, WritableStream<Row>]),
    { batchSize: 4 },
  ).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof StageError, String(error));
  assert.match(error.message, /seven/);
  assert.equal(
    assembled.stageNodes.get(`${error.branch ?? ""}#${error.stageIndex}`),
    "check",
  );
});
