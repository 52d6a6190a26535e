// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelConfig, PipelineConfig } from "./pipeline_config.ts";
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
    transport: channel.transport,
    host: channel.host,
    port: channel.port,
    token: channel.token,
    args: structuredClone(channel.args),
  };
}

/**
 * Splits a parsed config into what each runner executes: segments (the
 * maximal runs of consecutive processors on one runner), the channels
 * between them, modules as absolute URLs. A runner no processor uses gets
 * no plan. The result is JSON: send it to each runner as is.
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
 * if (a!.segments[0]!.output?.name !== "numbers->out") throw new Error("a");
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
    config.channels.map((channel) => [channel.from, channelPlan(channel)]),
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
  let segment: SegmentPlan | undefined;
  processors.forEach((processor, index) => {
    const plan = plans.get(processor.runner);
    if (plan === undefined) {
      throw new TypeError(
        `Cannot plan pipeline "${config.id}": processor "${processor.name}" runs on "${processor.runner}", which is not a runner of the config`,
      );
    }
    if (index === 0 || processors[index - 1]!.runner !== processor.runner) {
      segment = {
        id: `${config.id}/${processor.name}`,
        processors: [],
      };
      if (index > 0) {
        segment.input = boundary(
          channels,
          processors[index - 1]!.name,
          processor.name,
        );
      }
      plan.segments.push(segment);
    }
    segment!.processors.push({
      name: processor.name,
      use: processor.use,
      args: structuredClone(processor.args),
    });
    const next = processors[index + 1];
    if (next !== undefined && next.runner !== processor.runner) {
      segment!.output = boundary(channels, processor.name, next.name);
    }
  });
  return [...plans.values()].filter((plan) => plan.segments.length > 0);
}

/** The channel between two consecutive processors, with defaults if absent. */
function boundary(
  channels: ReadonlyMap<string, ChannelPlan>,
  from: string,
  to: string,
): ChannelPlan {
  const channel = channels.get(from);
  if (channel !== undefined && channel.name === `${from}->${to}`) {
    return structuredClone(channel);
  }
  return {
    name: `${from}->${to}`,
    transport: "tcp",
    host: "127.0.0.1",
    port: 0,
    token: "",
    args: {},
  };
}
