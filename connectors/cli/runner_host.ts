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
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import type { TransportDefinition } from "../../src/config/define_transport.ts";
import { StageError } from "../../src/errors/stage_error.ts";
import {
  pipeline,
  type PipelineState,
  type RunningPipeline,
} from "../../src/pipeline/pipeline.ts";
import { observeBatches } from "../../src/processors/observe_batches.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { BATCH_SINK, type BatchSink } from "../../src/sinks/batch_sink.ts";
import { ROUTE_USE } from "../../src/config/check_graph.ts";
import {
  type AssembledSegment,
  assembleSegment,
  type SegmentNode,
} from "./assemble_segment.ts";
import { stoppableSource } from "./stoppable_source.ts";
import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import { openStore, type OpenStoreOptions } from "./open_store.ts";
import { LatencyHistogram } from "./latency_histogram.ts";
import { observedStore } from "./observed_store.ts";
import { timedSink } from "./timed_sink.ts";
import { StageTaps } from "./stage_taps.ts";
import { TapError } from "../../src/host/tap_error.ts";

/** One processor's progress, as `ca run` shows it. */
export interface ProcessorProgress {
  /** `"starting"`, then the pipeline's state. */
  state: "starting" | PipelineState;
  /** Records out of it: read (a source), emitted, or stored (a sink). */
  records: number;
}

/** A sink's batch writes: how many, and how long they took. */
export interface SinkWrites {
  /** Batch writes that succeeded. */
  batches: number;
  /**
   * Their durations in seconds, as a Prometheus histogram: per upper bound
   * the writes at or below it (cumulative; `+Inf` is `count`).
   */
  latency: { buckets: [number, number][]; sum: number; count: number };
}

/**
 * A runner's progress: every processor it hosts, and its checkpoints. A
 * child runner sends it as is (`{ type: "progress", ... }`); the optional
 * fields may be missing from a runner that does not count them.
 */
export interface RunnerProgress {
  /** By processor name. */
  processors: Record<string, ProcessorProgress>;
  /** The last committed position of each segment with a checkpoint, by segment id. */
  positions: Record<string, Position | undefined>;
  /**
   * The batch writes of each sink of the config made with `batchSink()`
   * (every registered sink), by name. Channel writers are left out.
   */
  sinkWrites?: Record<string, SinkWrites>;
  /** Checkpoint commits that succeeded, over every segment. */
  commits?: number;
  /** When the last of them succeeded (ms since the epoch). */
  lastCommitAt?: number;
  /**
   * Records read and not yet covered by a commit, over the segments with
   * a checkpoint; absent without one. An approximation: records read minus
   * the records the sinks had written when the last successful commit
   * started. Right when every record read reaches a sink; records that a
   * processor drops (a `where`) keep counting as uncommitted, so it is high
   * by those.
   */
  uncommittedRecords?: number;
  /**
   * The connection health of the sources and sinks (and channel ends)
   * that report one, by their name in the config.
   */
  health?: {
    sources: Record<string, ConnectionHealth>;
    sinks: Record<string, ConnectionHealth>;
  };
}

/** Options for {@linkcode RunnerHost}. */
export interface RunnerHostOptions {
  /** Called once the reader of an input channel listens. */
  onListening(channel: string, port: number): void;
  /**
   * Opens the checkpoint store (default {@linkcode openStore}): a host of
   * many connectors passes one that shares a store among them
   * (`SharedStores`). The runner closes what it returns when it ends.
   */
  openStore?: (
    config: StoreConfig,
    options: OpenStoreOptions,
  ) => Promise<CheckpointStore>;
  /**
   * Count for the metrics (default true): a per-batch counter after each
   * processor, a timer on each batch sink, and an observer on the
   * checkpoint store. With false none of them is put in: the pipelines run
   * as `pipeline()` runs them, and {@linkcode RunnerHost.progress} counts
   * only the records read by sources and written by sinks (other
   * processors count 0; no sink writes, commits or uncommitted records).
   */
  metrics?: boolean;
}

/** A segment being run. */
interface RunningSegment {
  plan: SegmentPlan;
  running?: RunningPipeline;
  /** Per processor or route, the count of records out of it (into a route). */
  counters: Map<string, { records: number }>;
  /** Records its sink had written when its last commit that succeeded started. */
  doneAtCommit: number;
  /** Where each node ended up in the pipeline (once built). */
  assembled?: AssembledSegment;
  /** Its config sources: `"source"` (and no input channel), or `"mixed"`. */
  sources: "none" | "only" | "mixed";
  /** Ends the config sources of a mixed segment (its readers go on). */
  stopSources: () => void;
  /** Settles once `stopSources` is called. */
  stopped: Promise<void>;
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
  /** The batch writes of each sink of the config, by name. */
  #sinkWrites = new Map<string, LatencyHistogram>();
  #commits = 0;
  #lastCommitAt: number | undefined;
  /** The listeners of live taps, by stage. */
  #taps = new StageTaps();

  constructor(
    plan: RunnerPlan,
    registry: Registry,
    options: RunnerHostOptions,
  ) {
    this.plan = plan;
    this.#registry = registry;
    this.#options = options;
    this.#segments = plan.segments.map((segment) => {
      const holds = segment.processors.some((p) => p.from.length === 0);
      let stopSources!: () => void;
      const stopped = new Promise<void>((resolve) => stopSources = resolve);
      return {
        plan: segment,
        counters: new Map(),
        doneAtCommit: 0,
        sources: !holds
          ? "none"
          : segment.inputs.length === 0
          ? "only"
          : "mixed",
        stopSources,
        stopped,
      };
    });
    for (const segment of plan.segments) {
      for (const output of segment.outputs) this.#address(output.name);
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
      const open = this.#options.openStore ?? openStore;
      const opened = await open(plan.checkpoint.store, {
        registry: this.#registry,
        pipelineId: plan.pipelineId,
        baseUrl: plan.baseUrl,
        signal: this.#stop.signal,
      });
      this.#store = this.#options.metrics === false
        ? opened
        : observedStore(opened, (id) => this.#committing(id));
    }
    const runs: Promise<void>[] = [];
    for (const segment of this.#segments) {
      const stages = await this.#createStages(segment).catch((error) =>
        this.#unstarted(error, runs)
      );
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

  /** A segment could not be made: ends those that run, closes the store, throws. */
  async #unstarted(error: unknown, runs: Promise<void>[]): Promise<never> {
    await this.abort(error);
    await Promise.all(runs.map((run) => run.catch(() => {})));
    await this.#close();
    throw error;
  }

  /**
   * A commit of segment `id` starts: note what its sink has written; once
   * the commit succeeded, that is what the checkpoint covers.
   */
  #committing(id: string): () => void {
    const segment = this.#segments.find((s) => s.plan.id === id);
    const written = segment?.running?.recordsWritten;
    return () => {
      this.#commits++;
      this.#lastCommitAt = Date.now();
      if (segment !== undefined && written !== undefined) {
        segment.doneAtCommit = Math.max(segment.doneAtCommit, written);
      }
    };
  }

  async #close(): Promise<void> {
    await this.#store?.close?.().catch(() => {});
  }

  /**
   * The stages of a segment's pipeline: its processors created, a channel
   * reader on each input and a writer on each output, assembled into
   * `merge()`, a line and a tree of `fanOut()`, `route()` and `branch()`,
   * with a per-batch counter after each processor and a timer on each
   * batch sink.
   */
  async #createStages(segment: RunningSegment): Promise<unknown[]> {
    const { plan } = segment;
    const names = new Set(plan.processors.map((p) => p.name));
    const nodes = new Map<string, SegmentNode>();
    for (const channel of plan.inputs) {
      nodes.set(channel.name, {
        name: channel.name,
        role: "source",
        inputs: [],
        outputs: [channel.to],
        part: channelReader(await this.#listen(channel), {
          stream: channel.name,
          token: channel.token,
        }),
      });
    }
    for (const processor of plan.processors) {
      const definition = this.#registry.processor(processor.use);
      if (!definition) {
        throw new ConfigError([{
          path: `/processors/${processor.name}/use`,
          message: `unknown processor "${processor.use}"`,
        }]);
      }
      let part = await this.#create(definition, processor);
      const isRoute = processor.use === ROUTE_USE;
      if (isRoute && typeof part !== "function") {
        throw new ConfigError([{
          path: `/processors/${processor.name}/use`,
          message:
            `expected the route definition, whose create() returns a function, got one that returns ${typeof part}`,
        }]);
      }
      if (definition.kind === "source" && segment.sources === "mixed") {
        part = stoppableSource(part, segment.stopped);
      }
      if (
        this.#options.metrics !== false &&
        definition.kind === "sink" && part !== null &&
        typeof part === "object" && BATCH_SINK in part
      ) {
        const histogram = new LatencyHistogram();
        this.#sinkWrites.set(processor.name, histogram);
        part = timedSink(
          part as BatchSink<unknown>,
          (seconds) => histogram.observe(seconds),
        );
      }
      nodes.set(processor.name, {
        name: processor.name,
        role: isRoute ? "route" : definition.kind,
        inputs: processor.from.map((from) =>
          names.has(from) ? from : `${from}->${processor.name}`
        ),
        outputs: [],
        part,
      });
    }
    for (const processor of plan.processors) {
      for (const input of nodes.get(processor.name)!.inputs) {
        nodes.get(input)!.outputs.push(processor.name);
      }
    }
    for (const channel of plan.outputs) {
      nodes.get(channel.from)!.outputs.push(channel.name);
      nodes.set(channel.name, {
        name: channel.name,
        role: "sink",
        inputs: [channel.from],
        outputs: [],
        part: await this.#writer(channel),
        to: channel.to,
      });
    }
    const counters = segment.counters;
    const count = (name: string) => {
      const counter = { records: 0 };
      counters.set(name, counter);
      const tapped = this.#taps.listeners(name);
      // Once per batch: the per-record cost stays out of the pipeline.
      return observeBatches((records) => {
        counter.records += records.length;
        StageTaps.emit(tapped, records);
      });
    };
    if (this.#options.metrics !== false) {
      this.#taps.afterSources(
        nodes,
        plan.processors.filter((p) => p.from.length === 0).map((p) => p.name),
      );
    }
    segment.assembled = assembleSegment(
      [...nodes.values()],
      this.#options.metrics === false ? undefined : count,
    );
    return segment.assembled.stages;
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

  /**
   * Subscribes `listener` to the records out of a processor or source
   * hosted here, once per batch, through the observers put after each of
   * them (see `RunningConnector.tap`).
   *
   * @returns Removes the listener.
   * @throws {TapError} For a name that is no processor here, a sink, or
   * when the runner runs without metrics (no observers to tap).
   */
  tap(
    stage: string,
    listener: (records: readonly unknown[]) => void,
  ): () => void {
    const doing = `Cannot tap stage "${stage}"`;
    const processor = this.plan.segments.flatMap((s) => s.processors)
      .find((p) => p.name === stage);
    if (processor === undefined) {
      throw new TapError(
        "CA_ERR_HOST_UNKNOWN_STAGE",
        `${doing}: runner "${this.plan.runner}" has no such processor`,
      );
    }
    if (this.#registry.processor(processor.use)?.kind === "sink") {
      throw new TapError(
        "CA_ERR_HOST_TAP_UNSUPPORTED",
        `${doing}: it is a sink, which has no records out; tap the stage it reads from`,
      );
    }
    if (this.#options.metrics === false) {
      throw new TapError(
        "CA_ERR_HOST_TAP_UNSUPPORTED",
        `${doing}: the connector runs without metrics, so without the per-stage observers a tap uses`,
      );
    }
    return this.#taps.add(stage, listener);
  }

  /** Tells the writer of `channel` where its reader listens. */
  connect(channel: string, host: string, port: number): void {
    this.#address(channel).resolve({ host, port });
  }

  /**
   * Stops gracefully: the segments that read only sources of the config
   * stop reading them and drain; a segment that also reads a channel ends
   * its sources and goes on until the channel's writer ends its stream, as
   * the segments that read only channels do.
   */
  async stop(): Promise<void> {
    for (const segment of this.#segments) {
      if (segment.sources === "mixed") segment.stopSources();
    }
    await Promise.all(
      this.#segments
        .filter((s) => s.sources === "only" && s.running)
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

  /**
   * The progress of every processor hosted here, the batch writes of its
   * sinks, its checkpoint commits and the connection health of its ends.
   */
  progress(): RunnerProgress {
    const processors: Record<string, ProcessorProgress> = {};
    const positions: Record<string, Position | undefined> = {};
    const health: NonNullable<RunnerProgress["health"]> = {
      sources: {},
      sinks: {},
    };
    let uncommitted = 0;
    for (const segment of this.#segments) {
      const { running, assembled } = segment;
      const failed = running?.state === "degraded" &&
          running.error instanceof StageError
        ? assembled?.stageNodes.get(
          `${running.error.branch ?? ""}#${running.error.stageIndex}`,
        )
        : undefined;
      for (const processor of segment.plan.processors) {
        const { name } = processor;
        let state: ProcessorProgress["state"] = running?.state ?? "starting";
        // Only the failing stage is degraded; the others were stopped.
        if (state === "degraded" && failed !== undefined) {
          state = failed === name ? "degraded" : "stopped";
        }
        processors[name] = { state, records: this.#records(segment, name) };
      }
      if (this.plan.checkpoint) {
        positions[segment.plan.id] = running?.position;
        uncommitted += Math.max(
          0,
          (running?.recordsRead ?? 0) - segment.doneAtCommit,
        );
      }
      if (running !== undefined && assembled !== undefined) {
        const now = running.health;
        for (const [name, key] of assembled.originKeys) {
          const found = now.sources[key ?? "source"];
          if (found !== undefined) health.sources[name] = found;
        }
        for (const [name, key] of assembled.sinkKeys) {
          const found = now.sinks[key ?? "sink"];
          if (found !== undefined) health.sinks[name] = found;
        }
      }
    }
    const sinkWrites: Record<string, SinkWrites> = {};
    for (const [name, histogram] of this.#sinkWrites) {
      const latency = histogram.snapshot();
      sinkWrites[name] = { batches: latency.count, latency };
    }
    const progress: RunnerProgress = {
      processors,
      positions,
      sinkWrites,
      commits: this.#commits,
      health,
    };
    if (this.#lastCommitAt !== undefined) {
      progress.lastCommitAt = this.#lastCommitAt;
    }
    if (this.plan.checkpoint && this.#options.metrics !== false) {
      progress.uncommittedRecords = uncommitted;
    }
    return progress;
  }

  /** Records out of a source or processor, into a route, stored by a sink. */
  #records(segment: RunningSegment, name: string): number {
    const { running, assembled } = segment;
    if (running === undefined || assembled === undefined) return 0;
    const counted = segment.counters.get(name);
    if (counted !== undefined) return counted.records;
    if (assembled.originKeys.has(name)) {
      const origin = assembled.originKeys.get(name);
      return origin === undefined
        ? running.recordsRead
        : running.origins?.[origin]?.recordsRead ?? 0;
    }
    if (assembled.sinkKeys.has(name)) {
      const key = assembled.sinkKeys.get(name);
      return key === undefined
        ? running.recordsWritten
        : running.sinks?.[key]?.recordsWritten ?? 0;
    }
    return 0;
  }
}
