// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// The graph of a config's processors: who reads from whom (`from`, or the
// processor listed before), and every rule the graph must follow before
// the core can run it. Internal to parsePipelineConfig().

import type { ConfigIssue } from "./config_issue.ts";
import type { ProcessorKind } from "./define_processor.ts";
import { childPointer } from "../util/json_pointer.ts";
import { didYouMean, quotedList } from "./suggest.ts";

/** The `use` of the route node. */
export const ROUTE_USE = "route";

/** One processor as the graph check sees it. */
export interface GraphNode {
  /** Its name, when valid. */
  name?: string;
  /** Its `from` as written (a string or a list), when written. */
  from?: unknown;
  /** Its definition's name. */
  use?: string;
  /** Its kind, when the registry or a Python runner knows its `use`. */
  kind?: ProcessorKind;
  /** Its runner's runtime, when known. */
  runtime?: string;
  /** Its args as written (a route's routes are read from them). */
  args?: unknown;
}

/** What {@linkcode checkGraph} finds. */
export interface GraphCheck {
  /**
   * Whether the config is a line: no processor names `from` and none is a
   * route. A line keeps the rules of lines: the first a source, the last a
   * sink.
   */
  line: boolean;
  /** The inputs of each processor, by index: names of processors. */
  inputs: string[][];
  /** Every problem found, each with its path. */
  issues: ConfigIssue[];
}

/** One name a route sends records to, and where it is written. */
interface RouteTarget {
  name: string;
  path: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The names a route's args send records to, with their paths, if readable. */
function routeTargets(
  args: unknown,
  base: string,
): RouteTarget[] | undefined {
  if (!isObject(args) || !isObject(args.routes)) return undefined;
  const targets: RouteTarget[] = [];
  const add = (value: unknown, path: string): boolean => {
    if (typeof value === "string") {
      targets.push({ name: value, path });
      return true;
    }
    if (!Array.isArray(value)) return false;
    return value.every((name, index) =>
      typeof name === "string" &&
      (targets.push({ name, path: `${path}/${index}` }), true)
    );
  };
  for (const [key, value] of Object.entries(args.routes)) {
    if (!add(value, childPointer(`${base}/routes`, key))) return undefined;
  }
  if (args.default !== undefined && !add(args.default, `${base}/default`)) {
    return undefined;
  }
  return targets;
}

const SHAPE =
  "a pipeline runs a merge of its sources, then a line, then a tree of sinks that splits with fan-out or route and never joins again";

/**
 * Resolves who reads from whom and checks the graph: names in `from` and
 * in routes, cycles, a source with inputs, a sink with outputs, a node
 * whose records go nowhere, routes and the nodes that name them, the
 * shapes the core cannot run, and processors on a Python runner (lines
 * only). Checks that need every node's kind are skipped while a kind is
 * unknown (a config parsed without a registry, or an unknown `use`, which
 * is an issue of its own).
 *
 * @param nodes The processors, in order.
 * @param names Every processor name, for "did you mean".
 * @returns The inputs of each processor and the issues.
 */
export function checkGraph(
  nodes: readonly GraphNode[],
  names: readonly string[],
): GraphCheck {
  const line = nodes.every((node) =>
    node.from === undefined && node.use !== ROUTE_USE
  );
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (node.name !== undefined && !index.has(node.name)) {
      index.set(node.name, i);
    }
  });
  const issues: ConfigIssue[] = [];
  const isRoute = (i: number) => nodes[i]!.use === ROUTE_USE;
  const kindOf = (i: number): ProcessorKind | undefined =>
    isRoute(i) ? "processor" : nodes[i]!.kind;
  const known = nodes.every((_, i) => kindOf(i) !== undefined);
  const label = (i: number) => {
    const node = nodes[i]!;
    return `${kindOf(i) ?? "processor"} ${JSON.stringify(node.name)}${
      node.use === undefined ? "" : ` (${node.use})`
    }`;
  };

  // Inputs, and where each is written (undefined: the one listed before).
  const inputs: string[][] = [];
  const inputPaths: (string | undefined)[][] = [];
  // A from that is malformed or names no processor leaves the graph
  // unknown: what reads what is then not checked further.
  let incomplete = false;
  nodes.forEach((node, i) => {
    const base = `/processors/${i}`;
    const found: string[] = [];
    const paths: (string | undefined)[] = [];
    inputs.push(found);
    inputPaths.push(paths);
    if (node.from === undefined) {
      if (line || (i > 0 && kindOf(i) !== "source")) {
        const previous = nodes[i - 1]?.name;
        if (previous !== undefined) {
          found.push(previous);
          paths.push(undefined);
        }
      }
      return;
    }
    const written = typeof node.from === "string"
      ? [[node.from, `${base}/from`] as const]
      : Array.isArray(node.from)
      ? node.from.map((name, k) => [name, `${base}/from/${k}`] as const)
      : [];
    if (written.length === 0) incomplete = true; // a structure issue
    for (const [name, path] of written) {
      if (typeof name !== "string" || name === "") {
        incomplete = true; // a structure issue
        continue;
      }
      if (!index.has(name)) {
        incomplete = true;
        issues.push({
          path,
          message: `expected the name of a processor, got ${
            JSON.stringify(name)
          }${didYouMean(name, names)}`,
          expected: "the name of a processor",
          received: JSON.stringify(name),
        });
        continue;
      }
      if (found.includes(name)) {
        issues.push({
          path,
          message: `expected each input once, got ${
            JSON.stringify(name)
          } a second time`,
          expected: "each input once",
          received: JSON.stringify(name),
        });
        continue;
      }
      found.push(name);
      paths.push(path);
    }
    if (kindOf(i) === "source" && written.length > 0) {
      issues.push({
        path: `${base}/from`,
        message: `expected no from: ${
          label(i)
        } is a source, which reads the records itself, got ${
          quotedList(written.map(([name]) => name), "and")
        }`,
        expected: "no from",
        received: quotedList(written.map(([name]) => name), "and"),
      });
      found.length = 0;
      paths.length = 0;
    }
  });
  if (line) return { line, inputs, issues };

  /** Where the edge `from` -> `i` is written, or the processor's own path. */
  const edgePath = (i: number, from: string): string =>
    inputPaths[i]![inputs[i]!.indexOf(from)] ?? `/processors/${i}`;
  const implicit = (i: number, from: string) =>
    inputPaths[i]![inputs[i]!.indexOf(from)] === undefined
      ? `; without from, a processor reads the one listed before it`
      : "";
  const readers: number[][] = nodes.map(() => []);
  inputs.forEach((list, i) => {
    for (const name of list) readers[index.get(name)!]!.push(i);
  });

  // Routes: every target a processor that names the route in from, and
  // every processor that names a route in from one of its targets.
  const targetsOf = new Map<number, RouteTarget[] | undefined>();
  nodes.forEach((node, r) => {
    if (!isRoute(r)) return;
    const targets = routeTargets(node.args, `/processors/${r}/args`);
    targetsOf.set(r, targets);
    for (const { name, path } of targets ?? []) {
      const t = index.get(name);
      if (t === undefined) {
        issues.push({
          path,
          message: `expected the name of a processor, got ${
            JSON.stringify(name)
          }${didYouMean(name, names)}`,
          expected: "the name of a processor",
          received: JSON.stringify(name),
        });
      } else if (!inputs[t]!.includes(node.name!)) {
        const reads = inputs[t]!.length === 0
          ? "reads from nothing"
          : `reads from ${quotedList(inputs[t]!, "and")}`;
        issues.push({
          path,
          message: `expected a processor that reads from route ${
            JSON.stringify(node.name)
          }, got ${JSON.stringify(name)}, which ${reads}: add ${
            JSON.stringify(node.name)
          } to its from`,
          expected: `a processor that reads from ${JSON.stringify(node.name)}`,
          received: JSON.stringify(name),
        });
      }
    }
  });
  nodes.forEach((node, i) => {
    for (const from of inputs[i]!) {
      const r = index.get(from)!;
      if (!isRoute(r)) continue;
      const targets = targetsOf.get(r);
      if (targets === undefined) continue; // its args have an issue
      if (targets.some((target) => target.name === node.name)) continue;
      issues.push({
        path: edgePath(i, from),
        message: `expected a route of ${JSON.stringify(from)} to name ${
          JSON.stringify(node.name)
        }, got none: ${JSON.stringify(node.name)} reads from route ${
          JSON.stringify(from)
        }, which sends it no record; name it under the route's routes or default${
          implicit(i, from)
        }`,
        expected: `${JSON.stringify(node.name)} under the routes of ${
          JSON.stringify(from)
        }`,
        received: "none",
      });
    }
  });

  // Cycles: a cycle always has an edge to a processor listed earlier (the
  // one listed before is never an input of an earlier one), written in its
  // from: report it there.
  const state: (0 | 1 | 2)[] = nodes.map(() => 0);
  const stack: number[] = [];
  let cyclic = false;
  const visit = (u: number) => {
    state[u] = 1;
    stack.push(u);
    for (const v of readers[u]!) {
      if (state[v] === 1) {
        cyclic = true;
        const cycle = [...stack.slice(stack.indexOf(v)), v];
        let at = cycle.length - 1;
        for (let k = 1; k < cycle.length; k++) {
          if (cycle[k]! <= cycle[k - 1]!) at = k;
        }
        const to = cycle[at]!;
        const from = nodes[cycle[at - 1]!]!.name!;
        const words = cycle.map((k) => JSON.stringify(nodes[k]!.name))
          .join(" -> ");
        issues.push({
          path: edgePath(to, from),
          message: `expected no cycle, got ${words}: ${
            cycle.length === 2
              ? `${JSON.stringify(from)} reads from itself`
              : `${JSON.stringify(nodes[to]!.name)} reads from ${
                JSON.stringify(from)
              }, which is downstream of it`
          }`,
          expected: "no cycle",
          received: words,
        });
      } else if (state[v] === 0) visit(v);
    }
    stack.pop();
    state[u] = 2;
  };
  nodes.forEach((_, i) => {
    if (state[i] === 0) visit(i);
  });

  if (!known || incomplete) return { line, inputs, issues };

  // Ends: a processor with inputs, a source without; a sink without
  // outputs, anything else with.
  nodes.forEach((node, i) => {
    const kind = kindOf(i)!;
    if (
      kind !== "source" && inputs[i]!.length === 0 && node.from === undefined
    ) {
      issues.push({
        path: `/processors/${i}/use`,
        message: `expected a source, got ${label(i)}: ${
          i === 0
            ? "the first processor has no processor before it to read from"
            : "it reads from nothing"
        }; name its inputs with from`,
        expected: "a source",
        received: label(i),
      });
    }
    for (const from of inputs[i]!) {
      const u = index.get(from)!;
      if (kindOf(u) !== "sink") continue;
      issues.push({
        path: edgePath(i, from),
        message: `expected a source or a processor to read from, got ${
          label(u)
        }: a sink has no outputs${implicit(i, from)}`,
        expected: "a source or a processor",
        received: label(u),
      });
    }
    if (kind !== "sink" && readers[i]!.length === 0) {
      if (isRoute(i) && targetsOf.get(i)?.length !== 0) return; // reported
      issues.push({
        path: `/processors/${i}`,
        message: `expected a processor that reads from ${
          JSON.stringify(node.name)
        }, got none: the records of ${
          label(i)
        } would go nowhere; end every branch with a sink`,
        expected: `a processor that reads from ${JSON.stringify(node.name)}`,
        received: "none",
      });
    }
  });

  // Python runners run lines: one input, one output.
  nodes.forEach((node, i) => {
    if (node.runtime !== "python") return;
    const what = (list: readonly string[]) =>
      `${list.length} (${quotedList(list, "and")})`;
    if (inputs[i]!.length > 1) {
      issues.push({
        path: `/processors/${i}/from`,
        message: `expected one input on a Python runner, got ${
          what(inputs[i]!)
        }: the Python runner runs lines of processors; join branches on a Deno or Node runner`,
        expected: "one input",
        received: what(inputs[i]!),
      });
    }
    if (readers[i]!.length > 1) {
      const names = readers[i]!.map((k) => nodes[k]!.name!);
      issues.push({
        path: `/processors/${i}/runner`,
        message: `expected one processor to read from ${
          JSON.stringify(node.name)
        } on a Python runner, got ${
          what(names)
        }: the Python runner runs lines of processors; fan out on a Deno or Node runner`,
        expected: "one reader",
        received: what(names),
      });
    }
  });

  if (cyclic) return { line, inputs, issues };

  // Shapes: a join only before every split, and only one join per line
  // of inputs.
  const splits = (u: number) => readers[u]!.length > 1 || isRoute(u);
  nodes.forEach((node, j) => {
    if (inputs[j]!.length < 2) return;
    const seen = new Set<number>();
    const pending = inputs[j]!.map((name) => index.get(name)!);
    let split: number | undefined;
    let join: number | undefined;
    while (pending.length > 0) {
      const u = pending.pop()!;
      if (seen.has(u)) continue;
      seen.add(u);
      if (splits(u) && (split === undefined || u < split)) split = u;
      if (inputs[u]!.length > 1 && (join === undefined || u < join)) join = u;
      for (const name of inputs[u]!) pending.push(index.get(name)!);
    }
    if (split !== undefined) {
      const why = isRoute(split)
        ? `route ${JSON.stringify(nodes[split]!.name)} splits them`
        : `${JSON.stringify(nodes[split]!.name)} fans out to ${
          quotedList(readers[split]!.map((k) => nodes[k]!.name), "and")
        }`;
      issues.push({
        path: `/processors/${j}/from`,
        message:
          `expected inputs that have not split, got a join after a split: ${
            JSON.stringify(node.name)
          } joins branches after ${why}; ${SHAPE}`,
        expected: "inputs that have not split",
        received: "a join after a split",
      });
    } else if (join !== undefined) {
      issues.push({
        path: `/processors/${j}/from`,
        message:
          `expected sources, or lines from one source, got a second join: ${
            JSON.stringify(node.name)
          } joins branches that ${
            JSON.stringify(nodes[join]!.name)
          } joined already; merge every source at one processor (name them all in its from)`,
        expected: "sources, or lines from one source",
        received: "a second join",
      });
    }
  });
  return { line, inputs, issues };
}
