// Copyright 2026 the @ca/streams authors. MIT license.

import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { validateArgs } from "../../src/config/validate_args.ts";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import type {
  ChannelPlan,
  RunnerPlan,
  SegmentPlan,
} from "../../src/config/runner_plan.ts";
import type { Registry } from "../../src/config/registry.ts";
import type { TransportDefinition } from "../../src/config/define_transport.ts";
import { StageError } from "../../src/errors/stage_error.ts";
import {
  pipeline,
  type PipelineState,
  type RunningPipeline,
} from "../../src/pipeline/pipeline.ts";
import { tap } from "../../src/processors/tap.ts";
import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import { openStore } from "./open_store.ts";

/** One processor's progress, as `ca run` shows it. */
export interface ProcessorProgress {
  /** `"starting"`, then the pipeline's state. */
  state: "starting" | PipelineState;
  /** Records out of it: read (a source), emitted, or stored (a sink). */
  records: number;
}

/** A runner's progress: every processor it hosts, and its checkpoints. */
export interface RunnerProgress {
  /** By processor name. */
  processors: Record<string, ProcessorProgress>;
  /** The last committed position of each segment with a checkpoint, by segment id. */
  positions: Record<string, Position | undefined>;
}

/** Options for {@linkcode RunnerHost}. */
export interface RunnerHostOptions {
  /** Called once the reader of an input channel listens. */
  onListening(channel: string, port: number): void;
}

/** A segment being run. */
interface RunningSegment {
  plan: SegmentPlan;
  running?: RunningPipeline;
  /** Per processor, the count of records out of it. */
  counters: number[];
}

/**
 * Runs the segments of one runner (a {@linkcode RunnerPlan}) in this
 * process: a pipeline per segment, a channel reader where a segment reads
 * from another runner (it listens) and a channel writer where it writes to
 * one (it dials once {@linkcode RunnerHost.connect} gives the address).
 * `ca run` uses it for the runners of its own runtime, and a child runner
 * (`runner_main.ts`) for its one runner.
 */
export class RunnerHost {
  readonly plan: RunnerPlan;
  #registry: Registry;
  #options: RunnerHostOptions;
  #segments: RunningSegment[];
  #addresses = new Map<
    string,
    {
      promise: Promise<{ host: string; port: number }>;
      resolve(a: { host: string; port: number }): void;
    }
  >();
  #store: CheckpointStore | undefined;
  #stop = new AbortController();

  constructor(
    plan: RunnerPlan,
    registry: Registry,
    options: RunnerHostOptions,
  ) {
    this.plan = plan;
    this.#registry = registry;
    this.#options = options;
    this.#segments = plan.segments.map((segment) => ({
      plan: segment,
      counters: segment.processors.map(() => 0),
    }));
    for (const segment of plan.segments) {
      if (segment.output) this.#address(segment.output.name);
    }
  }

  #address(channel: string) {
    let entry = this.#addresses.get(channel);
    if (!entry) {
      let resolve!: (a: { host: string; port: number }) => void;
      const promise = new Promise<{ host: string; port: number }>((r) =>
        resolve = r
      );
      entry = { promise, resolve };
      this.#addresses.set(channel, entry);
    }
    return entry;
  }

  /**
   * Creates every processor, listens on the input channels, and starts the
   * pipelines; resolves once they run, to `finished`: the end of all of
   * them.
   *
   * @throws {ConfigError} When a processor's args are invalid.
   */
  async start(): Promise<{ finished: Promise<void> }> {
    const plan = this.plan;
    if (plan.checkpoint) {
      this.#store = await openStore(plan.checkpoint.store, {
        registry: this.#registry,
        pipelineId: plan.pipelineId,
        baseUrl: plan.baseUrl,
        signal: this.#stop.signal,
      });
    }
    const runs: Promise<void>[] = [];
    for (const segment of this.#segments) {
      const stages = await this.#createStages(segment);
      const checkpoint = this.#store && {
        store: this.#store,
        everyRecords: plan.checkpoint?.everyRecords,
        everyMs: plan.checkpoint?.everyMs,
        maxUncommittedRecords: plan.checkpoint?.maxUncommittedRecords,
      };
      const run = pipeline as unknown as (
        ...args: unknown[]
      ) => RunningPipeline;
      segment.running = run(...stages, {
        id: segment.plan.id,
        checkpoint,
      });
      runs.push(Promise.resolve(segment.running).then(() => {}));
    }
    const finished = Promise.all(runs).then(
      () => this.#close(),
      async (error) => {
        await this.abort(error);
        await this.#close();
        throw error;
      },
    );
    finished.catch(() => {}); // the caller handles it; never unhandled
    return { finished };
  }

  async #close(): Promise<void> {
    await this.#store?.close?.().catch(() => {});
  }

  /** The stages of a segment's pipeline, processors created and counted. */
  async #createStages(segment: RunningSegment): Promise<unknown[]> {
    const { plan } = segment;
    const stages: unknown[] = [];
    if (plan.input) {
      stages.push(
        channelReader(await this.#listen(plan.input), {
          stream: plan.input.name,
          token: plan.input.token,
        }),
      );
    }
    for (const [index, processor] of plan.processors.entries()) {
      const definition = this.#registry.processor(processor.use);
      if (!definition) {
        throw new ConfigError([{
          path: `/processors/${processor.name}/use`,
          message: `unknown processor "${processor.use}"`,
        }]);
      }
      stages.push(await this.#create(definition, processor));
      if (definition.kind !== "sink") {
        const counters = segment.counters;
        stages.push(tap(() => {
          counters[index]!++;
        }));
      }
    }
    if (plan.output) stages.push(await this.#writer(plan.output));
    return stages;
  }

  async #create(
    definition: ProcessorDefinition,
    processor: SegmentPlan["processors"][number],
  ): Promise<unknown> {
    const result = await validateArgs(definition, processor.args, {
      path: `/processors/${processor.name}/args`,
    });
    if (!result.ok) throw new ConfigError(result.issues);
    return await definition.create(result.value, {
      name: processor.name,
      pipelineId: this.plan.pipelineId,
      baseUrl: this.plan.baseUrl,
      signal: this.#stop.signal,
    });
  }

  /** A channel's transport, from the registry, and its validated args. */
  async #transport(
    channel: ChannelPlan,
  ): Promise<{ transport: TransportDefinition; args: unknown }> {
    const transport = this.#registry.get("transport", channel.transport);
    if (!transport) {
      throw new ConfigError([{
        path: `/channels/${channel.name}/transport`,
        message: `unknown transport "${channel.transport}"`,
      }]);
    }
    const result = await validateArgs(transport, channel.args, {
      path: `/channels/${channel.name}/args`,
    });
    if (!result.ok) throw new ConfigError(result.issues);
    return { transport, args: result.value };
  }

  async #listen(channel: ChannelPlan): Promise<ChannelListener> {
    const { transport, args } = await this.#transport(channel);
    const listener = await transport.listen(args, {
      host: channel.host,
      port: channel.port,
      signal: this.#stop.signal,
    });
    this.#options.onListening(channel.name, listener.port);
    return listener;
  }

  async #writer(channel: ChannelPlan) {
    const { transport, args } = await this.#transport(channel);
    const address = this.#address(channel.name).promise;
    return channelWriter(
      async (signal: AbortSignal): Promise<ChannelConnection> => {
        const { host, port } = await address;
        return await transport.connect(args, { host, port, signal });
      },
      { stream: channel.name, token: channel.token },
    );
  }

  /** Tells the writer of `channel` where its reader listens. */
  connect(channel: string, host: string, port: number): void {
    this.#address(channel).resolve({ host, port });
  }

  /**
   * Stops gracefully: the segments that start with a source stop reading it
   * and drain; the others end when their writer ends the stream.
   */
  async stop(): Promise<void> {
    await Promise.all(
      this.#segments
        .filter((s) => !s.plan.input && s.running)
        .map((s) => s.running!.stop().catch(() => {})),
    );
  }

  /** Stops every segment at once. */
  async abort(reason?: unknown): Promise<void> {
    this.#stop.abort(reason);
    await Promise.all(
      this.#segments.map((s) => s.running?.abort(reason)),
    );
  }

  /** The progress of every processor hosted here. */
  progress(): RunnerProgress {
    const processors: Record<string, ProcessorProgress> = {};
    const positions: Record<string, Position | undefined> = {};
    for (const segment of this.#segments) {
      const running = segment.running;
      const last = segment.plan.processors.length - 1;
      for (const [index, processor] of segment.plan.processors.entries()) {
        let state: ProcessorProgress["state"] = running?.state ?? "starting";
        const failed = running?.error instanceof StageError
          ? running.error.stageIndex
          : undefined;
        if (state === "degraded" && failed !== undefined) {
          // Only the failing stage is degraded; the others were stopped.
          state = stageOf(segment, failed) === index ? "degraded" : "stopped";
        }
        processors[processor.name] = {
          state,
          records: index === last && !segment.plan.output
            ? running?.recordsWritten ?? 0
            : segment.counters[index]!,
        };
      }
      if (this.plan.checkpoint) positions[segment.plan.id] = running?.position;
    }
    return { processors, positions };
  }
}

/**
 * The processor index of a pipeline stage index (-1 for the source). A
 * counting tap follows every processor but the sink, so the stages after
 * the source are `[tap, p1, tap, p2, ..., sink]`, or `[p0, tap, p1, tap,
 * ..., sink]` behind a channel reader (which is no processor: -1).
 */
function stageOf(segment: RunningSegment, stageIndex: number): number {
  if (segment.plan.input) {
    return stageIndex === -1 ? -1 : Math.floor(stageIndex / 2);
  }
  return stageIndex === -1 ? 0 : Math.ceil(stageIndex / 2);
}
