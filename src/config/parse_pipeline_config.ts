// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { checkGraph, type GraphNode } from "./check_graph.ts";
import { ConfigError } from "./config_error.ts";
import type { ConfigIssue } from "./config_issue.ts";
import {
  checkStructure,
  type ConfigShape,
  NUMERIC_PATHS,
} from "./config_schema.ts";
import { decodeConfigText } from "./decode_config_text.ts";
import type { ProcessorKind } from "./define_processor.ts";
import { describeReceived } from "./describe_received.ts";
import { isWithin, valueAt } from "../util/json_pointer.ts";
import type {
  ChannelConfig,
  PipelineConfig,
  ProcessorConfig,
  RunnerConfig,
} from "./pipeline_config.ts";
import type { Registry } from "./registry.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";
import { substituteEnv } from "./substitute_env.ts";
import { didYouMean, quotedList } from "./suggest.ts";
import { validateArgs } from "./validate_args.ts";

/**
 * Options for {@linkcode parsePipelineConfig}.
 *
 * @example Check names against a registry, with "did you mean"
 * ```ts
 * import { builtinDefinitions, ConfigError, parsePipelineConfig, Registry } from "@ca/streams/config";
 * import type { ParsePipelineConfigOptions } from "@ca/streams/config";
 *
 * const options: ParsePipelineConfigOptions = {
 *   env: {},
 *   registry: new Registry(builtinDefinitions()),
 * };
 * const text = `
 * id: demo
 * runners: { main: { runtime: deno } }
 * processors:
 *   - { name: numbers, use: generat, args: { count: 3 } }
 *   - { name: out, use: console-sink }
 * `;
 * const error = await parsePipelineConfig(text, options).then(() => undefined, (e: unknown) => e);
 * if (!(error instanceof ConfigError) || !error.message.includes('"generate"')) throw error;
 * ```
 */
export interface ParsePipelineConfigOptions {
  /** `"yaml"` or `"json"`; by default JSON when the text starts with `{`. */
  format?: "yaml" | "json";
  /**
   * The environment variables `${NAME}` refers to, such as
   * `Deno.env.toObject()` or `process.env`. Nothing else is read.
   */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The definitions a config names: the processors on Deno and Node
   * runners `use`, the checkpoint store's `type`, the channels'
   * `transport`. With it, each name must be registered (an issue says
   * "did you mean" and lists what is), kinds must fit positions (in a line
   * a source first, a sink last, processors between; in a graph a source
   * reads nothing and nothing reads a sink) and args are validated by the
   * definition's schema: a processor's `args`, the store's keys besides
   * `type`, a channel's `args`. Without it, those checks are skipped: parse
   * once without it to read `modules`, import them into a registry, then
   * parse again with it.
   */
  registry?: Registry;
  /**
   * The processors a Python runner provides, by name. With it, a processor
   * on a Python runner must `use` one of them, and its kind must fit its
   * position. Its args are left to the Python runner.
   */
  pythonProcessors?: ReadonlyMap<string, { kind: ProcessorKind }>;
  /** Aborting it rejects with its reason (args schemas may be async). */
  signal?: AbortSignal;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const CHANNEL_DEFAULTS = {
  transport: "tcp",
  host: "127.0.0.1",
  port: 0,
  token: "",
} as const;

/**
 * Parses and checks a pipeline config (YAML or JSON) and returns it
 * normalized: defaults filled in, each processor's runner set, one channel
 * per edge between runners. Every problem is collected, then thrown as
 * one {@linkcode ConfigError} whose issues name their JSON pointer, such
 * as `/processors/2/args/url: expected a URL, got "htp:/x"`.
 *
 * The processors are a line (a source, processors, a sink, each reading
 * the one before), or a graph: a processor names its inputs with `from`
 * (a name or a list: several merge), several may read one (a fan-out),
 * and the builtin `route` sends each record to the processors named for a
 * field's value, which name it in `from`. A processor without `from` reads
 * the one listed before it, unless it is a source. The graph is checked:
 * names, cycles, a source with inputs, a sink with outputs, a processor
 * whose records go nowhere, routes and their targets, a join after a
 * split (the core runs a merge of sources, a line, then a tree of sinks),
 * and processors on a Python runner, which run lines only.
 *
 * `${NAME}` and `${NAME:-default}` in string values are replaced from
 * `options.env` first (see {@linkcode substituteEnv}); an error message
 * never shows a value that came from the environment. Nothing is created
 * or started: a definition's `create` is never called.
 *
 * @param text The config file's text.
 * @param options `env` (required), `registry`, `pythonProcessors`,
 * `format` and `signal`.
 * @returns The normalized config.
 * @throws {ConfigError} With every issue found.
 *
 * @example Parse a config against the builtin processors and a sink
 * ```ts
 * import { collect } from "@ca/streams";
 * import { builtinDefinitions, defineProcessor, parsePipelineConfig, Registry } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * const registry = new Registry(builtinDefinitions());
 * registry.add(defineProcessor({
 *   name: "memory",
 *   kind: "sink",
 *   description: "Keeps the records in memory.",
 *   args: z.strictObject({}),
 *   create: () => collect(),
 * }));
 * const config = await parsePipelineConfig(
 *   `
 * id: numbers
 * runners:
 *   main: { runtime: deno }
 * processors:
 *   - name: numbers
 *     use: generate
 *     args: { count: "\${COUNT:-10}" } # quoted inside { }
 *   - { name: out, use: memory }
 * `,
 *   { env: {}, registry },
 * );
 * if (config.processors[0]!.runner !== "main") throw new Error("no runner");
 * // A number from `${VAR}` is coerced where the schema wants a number.
 * const { count } = config.processors[0]!.args as { count: number };
 * if (count !== 10) throw new Error(`unexpected count ${count}`);
 * ```
 *
 * @example A graph: two sources merged, then a route, each issue at its path
 * ```ts
 * import { builtinDefinitions, ConfigError, parsePipelineConfig, Registry } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const text = `
 * id: orders
 * runners: { main: { runtime: deno } }
 * processors:
 *   - { name: orders, use: generate, args: { count: 3, template: { status: paid } } }
 *   - { name: refunds, use: generate, args: { count: 1, template: { status: refunded } } }
 *   - { name: by-status, use: route, from: [orders, refunds], args: { field: /status, routes: { paid: paid }, default: rest } }
 *   - { name: paid, use: console-sink }
 *   - { name: rest, use: console-sink, from: by-status }
 * `;
 * const config = await parsePipelineConfig(text, { env: {}, registry });
 * if (config.processors[2]!.from?.join() !== "orders,refunds") throw new Error("from");
 * const broken = text.replace("from: by-status", "from: paid");
 * const error = await parsePipelineConfig(broken, { env: {}, registry })
 *   .then(() => undefined, (e: unknown) => e);
 * if (!(error instanceof ConfigError)) throw new Error("expected a ConfigError");
 * const paths = error.issues.map((issue) => issue.path);
 * // "rest" reads a sink, and the route sends records to "rest", which does not read it.
 * if (paths.join() !== "/processors/2/args/default,/processors/4/from") {
 *   throw new Error(`unexpected ${paths}`);
 * }
 * ```
 */
export async function parsePipelineConfig(
  text: string,
  options: ParsePipelineConfigOptions,
): Promise<PipelineConfig> {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot parse pipeline config: text must be a string, got ${typeof text}`,
    );
  }
  if (!isObject(options) || !isObject(options.env)) {
    throw new TypeError(
      "Cannot parse pipeline config: options.env must be an object of environment variables",
    );
  }
  const { registry, pythonProcessors, signal } = options;
  signal?.throwIfAborted();

  const decoded = decodeConfigText(text, options.format);
  if (!decoded.ok) {
    throw new ConfigError(decoded.issues, { cause: decoded.cause });
  }
  const raw = decoded.value;
  const substitution = substituteEnv(raw, options.env);
  const fromEnv = new Set(substitution.fromEnv);
  const substituted = new Set(substitution.substituted);
  const data = coerceNumbers(substitution.value, substituted);
  // A value from the environment may be a secret: show the reference.
  const describe = (pointer: string, value: unknown): string =>
    fromEnv.has(pointer) && typeof value === "string"
      ? `${JSON.stringify(valueAt(raw, pointer))} (from the environment)`
      : describeReceived(value);

  const issues: ConfigIssue[] = [...substitution.issues];
  const parsed = checkStructure(data, describe);
  if (!parsed.ok) issues.push(...parsed.issues);

  const root = isObject(data) ? data : {};
  const runners = isObject(root.runners) ? root.runners : undefined;
  const runnerNames = runners === undefined ? [] : Object.keys(runners);
  const runtimeOf = (name: string): string | undefined => {
    const runner = runners?.[name];
    return isObject(runner) && typeof runner.runtime === "string"
      ? runner.runtime
      : undefined;
  };
  if (runners !== undefined && runnerNames.length === 0) {
    issues.push({
      path: "/runners",
      message: "expected at least one runner, got none",
      expected: "at least one runner",
      received: "none",
    });
  }
  for (const name of runnerNames) {
    const runner = runners![name];
    const runtime = runtimeOf(name);
    if (
      isObject(runner) && runner.script !== undefined &&
      runtime !== undefined && runtime !== "python"
    ) {
      issues.push({
        path: `/runners/${name}/script`,
        message:
          `only a python runner has a script, and this one's runtime is "${runtime}"`,
      });
    }
  }

  // Processors: names, runners, `use`, kinds, then args.
  const processors = Array.isArray(root.processors) ? root.processors : [];
  const firstIndex = new Map<string, number>();
  const runnerOf: (string | undefined)[] = [];
  const kinds: ({ kind: ProcessorKind; use: string } | undefined)[] = [];
  const argChecks: Promise<ConfigIssue[]>[] = [];
  processors.forEach((processor: unknown, index) => {
    const base = `/processors/${index}`;
    if (!isObject(processor)) return;
    const { name, use } = processor;
    if (typeof name === "string") {
      const first = firstIndex.get(name);
      if (first === undefined) firstIndex.set(name, index);
      else {
        issues.push({
          path: `${base}/name`,
          message: `expected a unique name, got ${
            JSON.stringify(name)
          } (the name of /processors/${first} too)`,
          expected: "a unique name",
          received: JSON.stringify(name),
        });
      }
    }
    let runner: string | undefined;
    if (processor.runner === undefined) {
      if (runnerNames.length === 1) runner = runnerNames[0];
      else if (runnerNames.length > 1) {
        issues.push({
          path: `${base}/runner`,
          message: `required when there is more than one runner: expected ${
            oneOf(runnerNames)
          }, got nothing`,
          expected: oneOf(runnerNames),
          received: "nothing",
        });
      }
    } else if (typeof processor.runner === "string" && runners !== undefined) {
      if (Object.hasOwn(runners, processor.runner)) runner = processor.runner;
      else {
        issues.push({
          path: `${base}/runner`,
          message: `expected ${oneOf(runnerNames)}, got ${
            describe(`${base}/runner`, processor.runner)
          }${didYouMean(processor.runner, runnerNames)}`,
          expected: oneOf(runnerNames),
          received: describe(`${base}/runner`, processor.runner),
        });
      }
    }
    runnerOf[index] = runner;
    if (typeof use !== "string" || use === "") return;
    const runtime = runner === undefined ? undefined : runtimeOf(runner);
    if (runner !== undefined && runtime === undefined) return; // bad runtime
    const definition = runtime === "python"
      ? undefined
      : registry?.processor(use);
    const provided = runtime === "deno" || runtime === "node"
      ? undefined
      : pythonProcessors?.get(use);
    if (definition !== undefined) {
      kinds[index] = { kind: definition.kind, use };
      argChecks.push(checkArgs(definition, processor.args, `${base}/args`));
      return;
    }
    if (provided !== undefined) {
      kinds[index] = { kind: provided.kind, use };
      return;
    }
    // Unknown: say so when the runner is known, or when no runner could
    // have it (the runner's issue is reported already).
    const python = runtime === "python" ||
      (runtime === undefined &&
        runnerNames.some((name) => runtimeOf(name) === "python"));
    if (
      runtime === "python"
        ? pythonProcessors === undefined
        : registry === undefined
    ) {
      return;
    }
    if (runtime === undefined && python) return;
    const names = runtime === "python"
      ? [...pythonProcessors!.keys()]
      : registry!.names("processor");
    const received = describe(`${base}/use`, use);
    const expected = runtime === "python"
      ? "a processor the python runner provides"
      : "a registered processor";
    issues.push({
      path: `${base}/use`,
      message: `expected ${expected}, got ${received}${
        didYouMean(use, names)
      }; known: ${names.length > 0 ? names.join(", ") : "none"}`,
      expected,
      received,
    });
  });

  async function checkArgs(
    definition: { name: string; args: StandardSchemaV1 },
    args: unknown,
    path: string,
  ): Promise<ConfigIssue[]> {
    let result = await validateArgs(definition, args, { path, describe });
    if (
      !result.ok && isObject(args) &&
      coerceArgs(args, path, result.issues, substituted)
    ) {
      result = await validateArgs(definition, args, { path, describe });
    }
    return result.ok ? [] : result.issues;
  }

  // The graph: who reads from whom, and the rules it must follow.
  const names = [...firstIndex.keys()];
  const graph = checkGraph(
    processors.map((processor: unknown, index): GraphNode => {
      if (!isObject(processor)) return {};
      const runner = runnerOf[index];
      return {
        ...(typeof processor.name === "string" &&
            firstIndex.get(processor.name) === index
          ? { name: processor.name }
          : {}),
        from: processor.from,
        ...(typeof processor.use === "string" ? { use: processor.use } : {}),
        ...(kinds[index] === undefined ? {} : { kind: kinds[index]!.kind }),
        ...(runner === undefined ? {} : { runtime: runtimeOf(runner) }),
        args: processor.args,
      };
    }),
    names,
  );
  issues.push(...graph.issues);

  // A line: the first a source, the last a sink, processors between.
  if (graph.line && processors.length >= 2) {
    const last = processors.length - 1;
    kinds.forEach((found, index) => {
      if (found === undefined) return;
      const wanted: ProcessorKind = index === 0
        ? "source"
        : index === last
        ? "sink"
        : "processor";
      if (found.kind === wanted) return;
      const why = wanted === "source"
        ? "the first processor reads the records"
        : wanted === "sink"
        ? "the last processor writes the records"
        : "only the first is a source and only the last a sink";
      const received = `${found.kind} ${JSON.stringify(found.use)}`;
      issues.push({
        path: `/processors/${index}/use`,
        message: `expected a ${wanted} (${why}), got ${received}`,
        expected: `a ${wanted}`,
        received,
      });
    });
  }

  // Channels: on edges between processors on different runners.
  const channels = Array.isArray(root.channels) ? root.channels : [];
  const byBoundary = new Map<string, { index: number; channel: Json }>();
  channels.forEach((channel: unknown, index) => {
    const base = `/channels/${index}`;
    if (!isObject(channel)) return;
    const { from, to } = channel;
    if (typeof from !== "string" || typeof to !== "string") return;
    const fromIndex = firstIndex.get(from);
    const toIndex = firstIndex.get(to);
    for (
      const [key, name, found] of [["from", from, fromIndex], [
        "to",
        to,
        toIndex,
      ]] as const
    ) {
      if (found === undefined && name !== "") {
        issues.push({
          path: `${base}/${key}`,
          message: `expected the name of a processor, got ${
            describe(`${base}/${key}`, name)
          }${didYouMean(name, names)}`,
          expected: "the name of a processor",
          received: describe(`${base}/${key}`, name),
        });
      }
    }
    if (fromIndex === undefined || toIndex === undefined) return;
    if (graph.line && toIndex !== fromIndex + 1) {
      const next = processors[fromIndex + 1];
      const nextName = isObject(next) && typeof next.name === "string"
        ? JSON.stringify(next.name)
        : undefined;
      issues.push({
        path: `${base}/to`,
        message: `expected the processor right after ${JSON.stringify(from)} (${
          nextName ?? `none: ${JSON.stringify(from)} is the last`
        }), got ${JSON.stringify(to)}: a channel joins consecutive processors`,
        expected: nextName ?? "none",
        received: JSON.stringify(to),
      });
      return;
    }
    if (!graph.line && !graph.inputs[toIndex]!.includes(from)) {
      const readers = names.filter((name) =>
        graph.inputs[firstIndex.get(name)!]!.includes(from)
      );
      const expected = readers.length === 0
        ? `none: nothing reads from ${JSON.stringify(from)}`
        : quotedList(readers);
      issues.push({
        path: `${base}/to`,
        message: `expected a processor that reads from ${
          JSON.stringify(from)
        } (${expected}), got ${
          JSON.stringify(to)
        }: a channel is an edge, from a processor to one that reads from it`,
        expected,
        received: JSON.stringify(to),
      });
      return;
    }
    const fromRunner = runnerOf[fromIndex];
    if (fromRunner !== undefined && fromRunner === runnerOf[toIndex]) {
      issues.push({
        path: base,
        message: `expected processors on different runners, got ${
          JSON.stringify(from)
        } and ${JSON.stringify(to)} both on ${
          JSON.stringify(fromRunner)
        }: a channel joins two runners`,
        expected: "processors on different runners",
        received: `both on ${JSON.stringify(fromRunner)}`,
      });
      return;
    }
    const edge = `${fromIndex}>${toIndex}`;
    const earlier = byBoundary.get(edge);
    if (earlier !== undefined) {
      issues.push({
        path: base,
        message: `expected one channel from ${JSON.stringify(from)} to ${
          JSON.stringify(to)
        }, got a second one (the first is /channels/${earlier.index})`,
        expected: "one channel per edge",
        received: "a second one",
      });
      return;
    }
    byBoundary.set(edge, { index, channel });
  });

  // The checkpoint store and the channels' transports: registered names,
  // args checked by their definitions.
  let storeArgs: Json | undefined;
  const checkpoint = isObject(root.checkpoint) ? root.checkpoint : undefined;
  const store = isObject(checkpoint?.store) ? checkpoint.store : undefined;
  if (
    registry !== undefined && store !== undefined &&
    typeof store.type === "string" && store.type !== ""
  ) {
    const definition = registry.get("store", store.type);
    if (definition === undefined) {
      issues.push(unregistered(
        "/checkpoint/store/type",
        store.type,
        describe("/checkpoint/store/type", store.type),
        "store",
        registry.names("store"),
      ));
    } else {
      const { type: _type, ...rest } = store;
      storeArgs = rest;
      argChecks.push(checkArgs(definition, rest, "/checkpoint/store"));
    }
  }
  channels.forEach((channel: unknown, index) => {
    if (registry === undefined || !isObject(channel)) return;
    const base = `/channels/${index}`;
    const name = channel.transport ?? CHANNEL_DEFAULTS.transport;
    if (typeof name !== "string" || name === "") return; // a structure issue
    const definition = registry.get("transport", name);
    if (definition === undefined) {
      issues.push(unregistered(
        `${base}/transport`,
        name,
        channel.transport === undefined
          ? `${JSON.stringify(name)} (the default)`
          : describe(`${base}/transport`, name),
        "transport",
        registry.names("transport"),
      ));
      return;
    }
    argChecks.push(checkArgs(definition, channel.args, `${base}/args`));
  });

  for (const found of await Promise.all(argChecks)) issues.push(...found);
  signal?.throwIfAborted();

  if (issues.length > 0 || !parsed.ok) {
    throw new ConfigError(orderIssues(dropShadowed(issues), data));
  }
  return normalize(
    parsed.value,
    processors,
    runnerOf as string[],
    graph.inputs,
    byBoundary,
    storeArgs,
  );
}

/** The issue of a name the registry does not have, with "did you mean". */
function unregistered(
  path: string,
  name: string,
  received: string,
  noun: string,
  names: readonly string[],
): ConfigIssue {
  const expected = `a registered ${noun}`;
  return {
    path,
    message: `expected ${expected}, got ${received}${
      didYouMean(name, names)
    }; known: ${names.length > 0 ? names.join(", ") : "none"}`,
    expected,
    received,
  };
}

function oneOf(names: readonly string[]): string {
  return names.length === 1
    ? JSON.stringify(names[0])
    : `one of ${quotedList(names)}`;
}

/** Replaces digit strings from `${VAR}` where the structure wants numbers. */
function coerceNumbers(
  value: unknown,
  substituted: ReadonlySet<string>,
): unknown {
  for (const pointer of substituted) {
    if (!NUMERIC_PATHS.test(pointer)) continue;
    const text = valueAt(value, pointer);
    if (typeof text !== "string" || !/^\d{1,15}$/.test(text)) continue;
    const cut = pointer.lastIndexOf("/");
    const parent = valueAt(value, pointer.slice(0, cut)) as Json;
    parent[pointer.slice(cut + 1)] = Number(text);
  }
  return value;
}

/**
 * Where an args schema wants a number or a boolean and `${VAR}` gave its
 * text ("8080", "true"), puts the number or boolean in `args` (in place).
 * Returns whether anything changed.
 */
function coerceArgs(
  args: Json,
  path: string,
  issues: readonly ConfigIssue[],
  substituted: ReadonlySet<string>,
): boolean {
  let changed = false;
  for (const issue of issues) {
    if (!issue.path.startsWith(`${path}/`) || !substituted.has(issue.path)) {
      continue;
    }
    const pointer = issue.path.slice(path.length);
    const text = valueAt(args, pointer);
    if (typeof text !== "string") continue;
    let value: number | boolean | undefined;
    if (
      (issue.expected === "a number" || issue.expected === "an integer") &&
      /^-?\d+(\.\d+)?$/.test(text)
    ) value = Number(text);
    else if (issue.expected === "a boolean" && /^(true|false)$/.test(text)) {
      value = text === "true";
    }
    if (value === undefined) continue;
    const cut = pointer.lastIndexOf("/");
    const key = pointer.slice(cut + 1).replaceAll("~1", "/").replaceAll(
      "~0",
      "~",
    );
    const parent = valueAt(args, pointer.slice(0, cut));
    if (isObject(parent)) parent[key] = value;
    else if (Array.isArray(parent)) parent[Number(key)] = value;
    changed = true;
  }
  return changed;
}

/** Drops issues below (or at) a path that already has an environment issue. */
function dropShadowed(issues: ConfigIssue[]): ConfigIssue[] {
  const env = issues.filter((issue) =>
    issue.received === "unset" ||
    issue.expected === "${NAME} or ${NAME:-default}"
  );
  return issues.filter((issue) =>
    env.includes(issue) ||
    !env.some((envIssue) => isWithin(issue.path, envIssue.path))
  );
}

/** Sorts issues in the order their paths appear in the document. */
function orderIssues(issues: ConfigIssue[], root: unknown): ConfigIssue[] {
  const order = (pointer: string): number[] => {
    const ranks: number[] = [];
    let node = root;
    for (const raw of pointer === "" ? [] : pointer.slice(1).split("/")) {
      const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
      if (Array.isArray(node)) {
        ranks.push(Number(key));
        node = node[Number(key)];
      } else if (isObject(node)) {
        const rank = Object.keys(node).indexOf(key);
        ranks.push(rank < 0 ? Number.MAX_SAFE_INTEGER : rank);
        node = node[key];
      } else ranks.push(Number.MAX_SAFE_INTEGER);
    }
    return ranks;
  };
  const keyed = issues.map((issue, index) => ({
    issue,
    index,
    ranks: order(issue.path),
  }));
  keyed.sort((a, b) => {
    const length = Math.min(a.ranks.length, b.ranks.length);
    for (let i = 0; i < length; i++) {
      if (a.ranks[i] !== b.ranks[i]) return a.ranks[i]! - b.ranks[i]!;
    }
    return a.ranks.length - b.ranks.length || a.index - b.index;
  });
  return keyed.map(({ issue }) => issue);
}

function normalize(
  shape: ConfigShape,
  written: readonly unknown[],
  runnerOf: readonly string[],
  inputs: readonly string[][],
  byBoundary: ReadonlyMap<string, { channel: Json }>,
  storeArgs: Json | undefined,
): PipelineConfig {
  const runners: Record<string, RunnerConfig> = {};
  for (const [name, runner] of Object.entries(shape.runners)) {
    runners[name] = {
      runtime: runner.runtime,
      ...(runner.executable === undefined
        ? {}
        : { executable: runner.executable }),
      ...(runner.script === undefined ? {} : { script: runner.script }),
    };
  }
  const indexOf = new Map(
    shape.processors.map((processor, index) => [processor.name, index]),
  );
  const processors = shape.processors.map((processor, index) => {
    const from = inputs[index]!;
    const previous = shape.processors[index - 1]?.name;
    const inLine = index === 0
      ? from.length === 0
      : from.length === 1 && from[0] === previous;
    const normalized: ProcessorConfig = {
      name: processor.name,
      use: processor.use,
      runner: runnerOf[index]!,
      // As written, with `${VAR}` numbers and booleans coerced for the schema.
      args: (written[index] as Json).args ?? {},
    };
    // Only where it reads other than the processor listed before it.
    if (!inLine) normalized.from = [...from];
    return normalized;
  });
  const channels: ChannelConfig[] = [];
  for (const [to, processor] of processors.entries()) {
    for (const name of inputs[to]!) {
      const from = indexOf.get(name)!;
      if (processors[from]!.runner === processor.runner) continue;
      const written = byBoundary.get(`${from}>${to}`)?.channel ?? {};
      channels.push({
        from: name,
        to: processor.name,
        transport: (written.transport as string | undefined) ??
          CHANNEL_DEFAULTS.transport,
        host: (written.host as string | undefined) ?? CHANNEL_DEFAULTS.host,
        port: (written.port as number | undefined) ?? CHANNEL_DEFAULTS.port,
        token: (written.token as string | undefined) ?? CHANNEL_DEFAULTS.token,
        // As written, with `${VAR}` numbers and booleans coerced for the schema.
        args: written.args ?? {},
      });
    }
  }
  const config: PipelineConfig = {
    version: 1,
    id: shape.id,
    runners,
    modules: shape.modules ?? [],
    processors,
    channels,
  };
  if (shape.placement !== undefined) {
    config.placement = { labels: shape.placement.labels ?? [] };
  }
  if (shape.parallelism !== undefined) config.parallelism = shape.parallelism;
  if (shape.checkpoint !== undefined) {
    const { store, everyRecords, everyMs, maxUncommittedRecords } =
      shape.checkpoint;
    config.checkpoint = {
      // The args as checked, `${VAR}` numbers and booleans coerced.
      store: storeArgs === undefined
        ? store
        : { type: store.type, ...storeArgs },
      ...(everyRecords === undefined ? {} : { everyRecords }),
      ...(everyMs === undefined ? {} : { everyMs }),
      ...(maxUncommittedRecords === undefined ? {} : { maxUncommittedRecords }),
    };
  }
  return config;
}
