// Copyright 2026 the @ca/streams authors. MIT license.

import { observeBatches } from "../../src/processors/observe_batches.ts";
import type { SegmentNode } from "./assemble_segment.ts";

/** Called with the records of each batch out of a stage. */
type StageListener = (records: readonly unknown[]) => void;

/** The suffix of the node put after a source: `:` is in no processor's name. */
const SOURCE_OUT = ":out";

/**
 * The listeners of a runner's live taps, by stage name, and the per-batch
 * hooks that call them. A stage's set of listeners is made once and kept,
 * so an observer built into a pipeline checks the set's size per batch and
 * does nothing more while nobody listens. Listeners are called inside the
 * pipeline; one that throws is ignored.
 *
 * @example Tap the records out of a processor and of the source
 * ```ts
 * import { pipeline } from "../../src/pipeline/pipeline.ts";
 * import { map } from "../../src/processors/map.ts";
 * import { collect } from "../../src/sinks/collect.ts";
 * import { StageTaps } from "./stage_taps.ts";
 *
 * const taps = new StageTaps();
 * const seen: unknown[] = [];
 * const stop = taps.add("double", (records) => void seen.push(...records));
 * const sink = collect<number>();
 * await pipeline([1, 2, 3], map((n: number) => n * 2), taps.observer("double"), sink);
 * stop();
 * if (seen.join() !== "2,4,6" || taps.listening("double")) throw new Error("unexpected");
 * ```
 */
export class StageTaps {
  #listeners = new Map<string, Set<StageListener>>();

  /** The listeners of `stage`: the same set for as long as this lives. */
  listeners(stage: string): ReadonlySet<StageListener> {
    let set = this.#listeners.get(stage);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(stage, set);
    }
    return set;
  }

  /** Whether anyone listens to `stage` now. */
  listening(stage: string): boolean {
    return (this.#listeners.get(stage)?.size ?? 0) > 0;
  }

  /**
   * Adds a listener of `stage`.
   *
   * @returns Removes it; calling it again does nothing.
   */
  add(stage: string, listener: StageListener): () => void {
    const set = this.listeners(stage) as Set<StageListener>;
    // Each subscription on its own, even of the same function.
    const own: StageListener = (records) => listener(records);
    set.add(own);
    return () => void set.delete(own);
  }

  /**
   * A processor that passes batches on unchanged and gives each to the
   * listeners of `stage`: fused with its neighbours in a pipeline.
   */
  observer(stage: string): TransformStream<unknown, unknown> {
    const set = this.listeners(stage);
    return observeBatches((records) => StageTaps.emit(set, records));
  }

  /**
   * Gives a batch to a stage's listeners, if any (from a counter's
   * observer, say); one that throws is ignored.
   *
   * @param set The stage's listeners, from {@linkcode StageTaps.listeners}.
   * @param records The batch.
   */
  static emit(
    set: ReadonlySet<StageListener>,
    records: readonly unknown[],
  ): void {
    if (set.size === 0) return;
    for (const listener of set) {
      try {
        listener(records);
      } catch {
        // A tap never fails the pipeline.
      }
    }
  }

  /**
   * Puts a node after each of `sources` (a config source in `nodes`) that
   * gives the records out of it to the listeners of the source's name: the
   * node reads from the source, and what read from the source reads from
   * it. Other taps sit after each processor already (the metrics' counters).
   *
   * @param nodes A segment's nodes by name, before `assembleSegment()`.
   * @param sources The names of the config sources among them.
   */
  afterSources(
    nodes: Map<string, SegmentNode>,
    sources: Iterable<string>,
  ): void {
    for (const name of sources) {
      const source = nodes.get(name);
      if (source === undefined || source.role !== "source") continue;
      const out = `${name}${SOURCE_OUT}`;
      for (const output of source.outputs) {
        const reader = nodes.get(output);
        if (reader === undefined) continue;
        reader.inputs = reader.inputs.map((input) =>
          input === name ? out : input
        );
      }
      nodes.set(out, {
        name: out,
        role: "processor",
        inputs: [name],
        outputs: source.outputs,
        part: this.observer(name),
      });
      source.outputs = [out];
    }
  }
}
