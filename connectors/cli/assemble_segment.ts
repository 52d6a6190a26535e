// Copyright 2026 the @ca/streams authors. MIT license.

import { branch } from "../../src/graph/branch.ts";
import { fanOut } from "../../src/graph/fan_out.ts";
import { merge } from "../../src/graph/merge.ts";
import { route } from "../../src/graph/route.ts";

/** One node of a segment, created: a processor, or an end of a channel. */
export interface SegmentNode {
  /** A processor's name, or a channel's (`"a->b"`). */
  name: string;
  /**
   * `"source"`: a source or a channel reader; `"sink"`: a sink or a
   * channel writer; `"route"`: a route, `part` its choice.
   */
  role: "source" | "processor" | "route" | "sink";
  /** The names of the nodes it reads from. */
  inputs: string[];
  /** The names of the nodes that read from it, in order. */
  outputs: string[];
  /**
   * A source, a `TransformStream`, a `WritableStream`, or for a route the
   * function from a record to the names it goes to.
   */
  part: unknown;
  /**
   * For a channel writer, the processor it writes to on the other runner:
   * the name a route chooses, and the branch's name in a fan-out.
   */
  to?: string;
}

/** A segment as `pipeline()` arguments, and where each node ended up. */
export interface AssembledSegment {
  /** The arguments of `pipeline()`, options left out. */
  stages: unknown[];
  /**
   * The node of a failing stage, keyed by `${branch ?? ""}#${stageIndex}`
   * as a `StageError` names them.
   */
  stageNodes: Map<string, string>;
  /** Each sink's key in the pipeline's `sinks` counts; none: the one sink. */
  sinkKeys: Map<string, string | undefined>;
  /** Each source's origin name in the merge; none: the one source. */
  originKeys: Map<string, string | undefined>;
}

/**
 * Builds one segment of a graph config with the core's graph functions: a
 * `merge()` of the sources (each with the processors of its own line, as a
 * `branch()`) where a node joins several, then the line of processors,
 * then a tree of sinks made of `fanOut()` (a node several read from),
 * `route()` and `branch()`. The graph was checked to have that shape.
 *
 * @param nodes The segment's nodes, created.
 * @param tap A counting stream to put after a processor (or before a route);
 * none: nothing is put between the nodes.
 * @returns The `pipeline()` arguments and where each node ended up.
 * @throws {TypeError} When the nodes do not have that shape.
 */
export function assembleSegment(
  nodes: readonly SegmentNode[],
  tap?: (name: string) => TransformStream<unknown, unknown>,
): AssembledSegment {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const node = (name: string): SegmentNode => {
    const found = byName.get(name);
    if (found === undefined) {
      throw new TypeError(`Cannot assemble segment: no node "${name}"`);
    }
    return found;
  };
  const stageNodes = new Map<string, string>();
  const sinkKeys = new Map<string, string | undefined>();
  const originKeys = new Map<string, string | undefined>();
  const joins = nodes.filter((n) => n.inputs.length > 1);
  if (joins.length > 1) {
    throw new TypeError(
      `Cannot assemble segment: ${
        joins.map((n) => `"${n.name}"`).join(" and ")
      } both join branches; a segment merges its sources once`,
    );
  }

  /** A node's processors (each followed by its tap), as stream parts. */
  const streams = (names: readonly string[]): unknown[] =>
    names.flatMap((name) =>
      tap === undefined ? [node(name).part] : [node(name).part, tap(name)]
    );
  /** Stages per processor: itself, and its tap when there is one. */
  const step = tap === undefined ? 1 : 2;
  /** Notes which node each stage index of a line is. */
  const mark = (
    path: string | undefined,
    names: readonly string[],
    end: SegmentNode | undefined,
  ) => {
    const at = (index: number, name: string) =>
      stageNodes.set(`${path ?? ""}#${index}`, name);
    names.forEach((name, i) => {
      for (let k = 0; k < step; k++) at(step * i + k, name);
    });
    if (end === undefined || end.role === "processor") return;
    at(step * names.length, end.name);
    // A route's tap, then the route.
    if (end.role === "route" && tap !== undefined) {
      at(step * names.length + 1, end.name);
    }
  };

  /**
   * From a node that receives records: the processors of its line, and
   * where the line ends (a sink, a route, or a processor several read).
   */
  const walk = (start: string) => {
    const processors: string[] = [];
    for (let name = start;;) {
      const current = node(name);
      if (current.role === "sink" || current.role === "route") {
        return { processors, end: current };
      }
      if (current.role !== "processor") {
        throw new TypeError(
          `Cannot assemble segment: "${name}" reads from "${
            current.inputs[0]
          }" but is a source`,
        );
      }
      processors.push(name);
      if (current.outputs.length !== 1) return { processors, end: current };
      name = current.outputs[0]!;
    }
  };

  /** The sink a line ends in: a sink, a route, or a fan-out. */
  const endOf = (end: SegmentNode, path: string | undefined): unknown => {
    if (end.role === "sink") {
      sinkKeys.set(end.name, path);
      return end.part;
    }
    const sinks: Record<string, unknown> = {};
    for (const output of end.outputs) {
      const name = node(output).to ?? output;
      sinks[name] = subtree(
        output,
        path === undefined ? name : `${path}/${name}`,
      );
    }
    if (end.role === "route") {
      return (route as (...args: unknown[]) => unknown)(end.part, sinks);
    }
    return (fanOut as (...args: unknown[]) => unknown)(sinks);
  };

  /** The sink of the branch that starts at `start`, named `path`. */
  const subtree = (start: string, path: string): unknown => {
    const { processors, end } = walk(start);
    mark(path, processors, end);
    const parts = streams(processors);
    if (end.role === "route" && tap !== undefined) parts.push(tap(end.name));
    const sink = endOf(end, path);
    if (parts.length === 0) return sink;
    return (branch as (...args: unknown[]) => unknown)(...parts, sink);
  };

  /** The line from the node that reads from nothing to `from`, inclusive. */
  const lineUpTo = (from: string) => {
    const names: string[] = [];
    let name = from;
    while (node(name).inputs.length > 0) {
      names.unshift(name);
      name = node(name).inputs[0]!;
    }
    return { root: node(name), processors: names };
  };

  const stages: unknown[] = [];
  let first: string;
  if (joins.length === 1) {
    const join = joins[0]!;
    const origins: Record<string, unknown> = {};
    for (const input of join.inputs) {
      const { root, processors } = lineUpTo(input);
      originKeys.set(root.name, root.name);
      stageNodes.set(`${root.name}#-1`, root.name);
      mark(root.name, processors, undefined);
      origins[root.name] = processors.length === 0
        ? root.part
        : (branch as (...args: unknown[]) => unknown)(
          root.part,
          ...streams(processors),
        );
    }
    stages.push(merge(origins as Record<string, AsyncIterable<unknown>>));
    first = join.name;
  } else {
    const roots = nodes.filter((n) => n.inputs.length === 0);
    if (roots.length !== 1) {
      throw new TypeError(
        `Cannot assemble segment: expected one source where no node joins branches, got ${roots.length}`,
      );
    }
    const root = roots[0]!;
    originKeys.set(root.name, undefined);
    stageNodes.set("#-1", root.name);
    stages.push(root.part);
    if (root.outputs.length !== 1) {
      // The source itself fans out.
      stages.push(endOf({ ...root, role: "processor" }, undefined));
      return { stages, stageNodes, sinkKeys, originKeys };
    }
    first = root.outputs[0]!;
  }
  const { processors, end } = walk(first);
  mark(undefined, processors, end);
  stages.push(...streams(processors));
  if (end.role === "route" && tap !== undefined) stages.push(tap(end.name));
  stages.push(endOf(end, undefined));
  return { stages, stageNodes, sinkKeys, originKeys };
}
