// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelConfig, PipelineConfig } from "./pipeline_config.ts";
import { processorInputs } from "./processor_inputs.ts";
import type { ChannelPlan, RunnerPlan, SegmentPlan } from "./runner_plan.ts";

/**
 * Options for {@linkcode planPipeline}.
 *
 * @example Resolve modules against the config file's directory
 * ```ts
 * import { parsePipelineConfig, planPipeline } from "@ca/streams/config";
 * import type { PlanPipelineOptions } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { main: { runtime: deno } }
 * modules: [./processors.ts]
 * processors:
 *   - { name: numbers, use: generate, args: { count: 3 } }
 *   - { name: out, use: console-sink }
 * `,
 *   { env: {} },
 * );
 * const options: PlanPipelineOptions = { baseUrl: new URL("file:///srv/pipelines/") };
 * const [plan] = planPipeline(config, options);
 * if (plan?.modules[0] !== "file:///srv/pipelines/processors.ts") throw new Error("unexpected");
 * ```
 */
export interface PlanPipelineOptions {
  /**
   * The config file's directory as an absolute URL ending with `/`, such
   * as `"file:///srv/pipelines/"`: modules are resolved against it.
   */
  baseUrl: string | URL;
}

function channelPlan(channel: ChannelConfig): ChannelPlan {
  return {
    name: `${channel.from}->${channel.to}`,
    from: channel.from,
    to: channel.to,
    transport: channel.transport,
    host: channel.host,
    port: channel.port,
    token: channel.token,
    args: structuredClone(channel.args),
  };
}

/**
 * Splits a parsed config into what each runner executes: segments (the
 * parts of the graph on one runner, each processor with its inputs), the
 * channels on the edges between runners (keyed by both ends), modules as
 * absolute URLs. A runner no processor uses gets no plan. The result is
 * JSON: send it to each runner as is.
 *
 * @param config A config from {@linkcode parsePipelineConfig}.
 * @param options `baseUrl`: the config file's directory URL.
 * @returns One plan per runner that runs something, in the order of the
 * config's runners.
 * @throws {TypeError} When `baseUrl` is not an absolute URL ending with `/`,
 * or a processor names a runner the config lacks.
 *
 * @example Plan a pipeline across two runners
 * ```ts
 * import { parsePipelineConfig, planPipeline } from "@ca/streams/config";
 *
 * const config = await parsePipelineConfig(
 *   `
 * id: demo
 * runners: { a: { runtime: deno }, b: { runtime: node } }
 * processors:
 *   - { name: numbers, use: generate, runner: a, args: { count: 3 } }
 *   - { name: out, use: memory, runner: b }
 * `,
 *   { env: {} },
 * );
 * const [a, b] = planPipeline(config, { baseUrl: "file:///srv/pipelines/" });
 * if (a!.segments[0]!.outputs[0]?.name !== "numbers->out") throw new Error("a");
 * if (b!.segments[0]!.id !== "demo/out") throw new Error("b");
 * ```
 */
export function planPipeline(
  config: PipelineConfig,
  options: PlanPipelineOptions,
): RunnerPlan[] {
  const base = String(options?.baseUrl ?? "");
  if (!URL.canParse(base) || !base.endsWith("/")) {
    throw new TypeError(
      `Cannot plan pipeline "${config?.id}": options.baseUrl must be an absolute URL ending with "/", got ${
        JSON.stringify(base)
      }`,
    );
  }
  const baseUrl = new URL(base).href;
  const modules = config.modules.map((module) => new URL(module, baseUrl).href);
  const channels = new Map(
    config.channels.map((channel) => [
      `${channel.from}->${channel.to}`,
      channelPlan(channel),
    ]),
  );
  const plans = new Map<string, RunnerPlan>();
  for (const [runner, { runtime }] of Object.entries(config.runners)) {
    plans.set(runner, {
      pipelineId: config.id,
      runner,
      runtime,
      baseUrl,
      modules: [...modules],
      ...(config.checkpoint === undefined
        ? {}
        : { checkpoint: structuredClone(config.checkpoint) }),
      segments: [],
    });
  }
  const { processors } = config;
  for (const processor of processors) {
    if (!plans.has(processor.runner)) {
      throw new TypeError(
        `Cannot plan pipeline "${config.id}": processor "${processor.name}" runs on "${processor.runner}", which is not a runner of the config`,
      );
    }
  }
  // Segments: processors of one runner joined by edges (union-find).
  const inputs = processorInputs(config);
  const indexOf = new Map(processors.map((p, index) => [p.name, index]));
  const parent = processors.map((_, index) => index);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  inputs.forEach((from, to) => {
    for (const name of from) {
      const i = indexOf.get(name)!;
      if (processors[i]!.runner !== processors[to]!.runner) continue;
      const [a, b] = [root(i), root(to)];
      parent[Math.max(a, b)] = Math.min(a, b);
    }
  });
  const segments = new Map<number, SegmentPlan>();
  processors.forEach((processor, index) => {
    let segment = segments.get(root(index));
    if (segment === undefined) {
      segment = {
        id: `${config.id}/${processor.name}`,
        processors: [],
        inputs: [],
        outputs: [],
      };
      segments.set(root(index), segment);
      plans.get(processor.runner)!.segments.push(segment);
    }
    segment.processors.push({
      name: processor.name,
      use: processor.use,
      args: structuredClone(processor.args),
      from: [...inputs[index]!],
    });
  });
  inputs.forEach((from, to) => {
    for (const name of from) {
      const i = indexOf.get(name)!;
      if (root(i) === root(to)) continue;
      const channel = edge(channels, name, processors[to]!.name);
      segments.get(root(i))!.outputs.push(channel);
      segments.get(root(to))!.inputs.push(structuredClone(channel));
    }
  });
  return [...plans.values()].filter((plan) => plan.segments.length > 0);
}

/** The channel on an edge between runners, with defaults if absent. */
function edge(
  channels: ReadonlyMap<string, ChannelPlan>,
  from: string,
  to: string,
): ChannelPlan {
  const channel = channels.get(`${from}->${to}`);
  if (channel !== undefined) return structuredClone(channel);
  return {
    name: `${from}->${to}`,
    from,
    to,
    transport: "tcp",
    host: "127.0.0.1",
    port: 0,
    token: "",
    args: {},
  };
}
