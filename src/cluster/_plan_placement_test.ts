// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type PlacementHost,
  type PlacementUnit,
  planPlacement,
} from "./_plan_placement.ts";

function hosts(...ids: string[]): PlacementHost[] {
  return ids.map((id) => ({ id, labels: [] }));
}

function units(count: number): PlacementUnit[] {
  return Array.from({ length: count }, (_, i) => {
    const key = `c${String(i).padStart(2, "0")}`;
    return { key, connector: key, labels: [] };
  });
}

function counts(plan: Map<string, string>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const host of plan.values()) result[host] = (result[host] ?? 0) + 1;
  return result;
}

test("planPlacement() spreads units evenly over hosts from scratch", () => {
  const plan = planPlacement(hosts("b", "a", "c"), units(31), new Map());
  assert.equal(plan.size, 31);
  assert.deepEqual(counts(plan), { a: 11, b: 10, c: 10 });
});

test("planPlacement() moves only what a joining host needs: 8/8/7/7", () => {
  const before = planPlacement(hosts("a", "b", "c"), units(30), new Map());
  assert.deepEqual(counts(before), { a: 10, b: 10, c: 10 });
  const after = planPlacement(hosts("a", "b", "c", "d"), units(30), before);
  assert.deepEqual(
    Object.values(counts(after)).sort(),
    [7, 7, 8, 8],
  );
  const moved = [...after].filter(([key, host]) => before.get(key) !== host);
  assert.equal(moved.length, 7);
  assert.ok(moved.every(([, host]) => host === "d"));
  // Half-way through the handoffs (some released, nothing taken yet) the
  // plan is the same: quotas do not depend on who holds what.
  const halfway = new Map(before);
  for (const [key] of moved.slice(0, 4)) halfway.delete(key);
  assert.deepEqual(
    planPlacement(hosts("a", "b", "c", "d"), units(30), halfway),
    after,
  );
});

test("planPlacement() gives the units of a host that left to the others", () => {
  const before = planPlacement(hosts("a", "b", "c"), units(12), new Map());
  const after = planPlacement(hosts("a", "c"), units(12), before);
  assert.deepEqual(counts(after), { a: 6, c: 6 });
  for (const [key, host] of before) {
    if (host !== "b") assert.equal(after.get(key), host);
  }
});

test("planPlacement() is the same whatever the order of its input", () => {
  const holders = new Map([["c03", "b"], ["c07", "a"], ["c01", "zombie"]]);
  const one = planPlacement(hosts("a", "b", "c"), units(9), holders);
  const two = planPlacement(
    hosts("c", "a", "b"),
    units(9).reverse(),
    new Map([...holders].reverse()),
  );
  assert.deepEqual([...one].sort(), [...two].sort());
  assert.equal(one.get("c03"), "b");
  assert.equal(one.get("c07"), "a");
});

test("planPlacement() honours affinity labels and leaves out what cannot run", () => {
  const labelled: PlacementHost[] = [
    { id: "a", labels: ["eu"] },
    { id: "b", labels: ["us"] },
    { id: "c", labels: ["eu", "gpu"] },
  ];
  const plan = planPlacement(labelled, [
    { key: "x", connector: "x", labels: ["gpu"] },
    { key: "y", connector: "y", labels: ["us"] },
    { key: "z", connector: "z", labels: ["mars"] },
    { key: "w", connector: "w", labels: ["eu"] },
  ], new Map([["x", "a"]]));
  assert.equal(plan.get("x"), "c");
  assert.equal(plan.get("y"), "b");
  assert.equal(plan.get("w"), "a");
  assert.equal(plan.has("z"), false);
});

test("planPlacement() puts the instances of one connector on different hosts", () => {
  const instances = [0, 1, 2].map((i) => ({
    key: `orders#${i}`,
    connector: "orders",
    labels: [],
  }));
  const plan = planPlacement(
    hosts("a", "b", "c"),
    [...instances, ...units(3)],
    new Map([["orders#0", "a"], ["orders#1", "a"]]),
  );
  assert.equal(new Set(instances.map((unit) => plan.get(unit.key))).size, 3);
  assert.deepEqual(counts(plan), { a: 2, b: 2, c: 2 });
  // With fewer hosts than instances, hosts take several.
  const two = planPlacement(hosts("a", "b"), instances, new Map());
  assert.deepEqual(counts(two), { a: 2, b: 1 });
});

test("planPlacement() places nothing without hosts", () => {
  assert.equal(planPlacement([], units(3), new Map()).size, 0);
});
