// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "./checkpoint_store.ts";
import { DoneRanges } from "./done_ranges.ts";
import type { Position } from "./position.ts";
import type { SinkCheckpoint } from "./sink_checkpoint.ts";

/**
 * A commit waits at least this many times the previous commit's duration
 * after it: committing then takes at most 1 / (1 + DUTY_FACTOR) of the time.
 */
export const DUTY_FACTOR = 4;

/**
 * How a pipeline checkpoints: its `CheckpointOptions` (see
 * `PipelineOptions.checkpoint`), all optional here.
 */
export interface CheckpointSettings {
  /** Where to commit; without one, positions are only acknowledged to the source. */
  store?: CheckpointStore | undefined;
  id: string;
  /** Commit once this many more records are done (default 1000). */
  everyRecords?: number | undefined;
  /** Commit at least this often, in ms (default 5000). */
  everyMs?: number | undefined;
  /**
   * Reading waits while this many records are read but not committed
   * (`undefined`: no bound).
   */
  maxUncommittedRecords?: number | undefined;
  reset?: "start" | { position: Position } | undefined;
  /** The source's acknowledgement hook, called in order as positions are done. */
  ack: ((position: Position) => void | Promise<void>) | undefined;
  /** Called once when a commit or an ack fails: the pipeline must stop. */
  onFailure(error: unknown): void;
}

/**
 * Turns "records [from, to) are done" into committed positions.
 *
 * The source reports each batch's range with the position of its last
 * record; the sink reports ranges as it stores them. The done position is
 * the position of the last batch wholly below the watermark, so it never
 * passes a record in flight. Commits are coalesced: at most one is in
 * flight, started when `everyRecords` records are done or `everyMs` has
 * passed since the last one, and a trigger during a commit only schedules
 * one more with the newest position. When commits are slower than the
 * triggers (a fast pipeline, a store that fsyncs), the next one starts no
 * sooner than {@linkcode DUTY_FACTOR} times the last commit's duration after
 * it ended, so committing takes at most a fifth of the time; a replay after
 * a crash then grows by at most what the pipeline reads in that pause.
 *
 * With `maxUncommittedRecords`, {@linkcode Checkpointer.ready} holds the source
 * back while that many records are read but not committed, so a crash
 * repeats at most that many plus the batch read last. Once half of the
 * bound is uncommitted, commits start as soon as a position is done,
 * without the pause; a commit is always under way or due while reading
 * waits, so the wait ends when it lands. All bookkeeping is per batch.
 */
export class Checkpointer {
  #settings: CheckpointSettings;
  #generation = 0;
  #done = new DoneRanges();
  /** Ranges read from the source and not yet done: their end and position. */
  #pending: Array<{ to: number; position: Position }> = [];
  #position: Position | undefined;
  /** The sequence the done position ends at. */
  #positionTo = 0;
  #hasPosition = false;
  /** Records read so far, and the sequence the committed position ends at. */
  #readTo = 0;
  #committedTo = 0;
  /** Resolves the source's wait in {@linkcode Checkpointer.ready}. */
  #resume: (() => void) | undefined;
  #committed: Position | undefined;
  #committedJson: string | undefined;
  #sinceCommit = 0;
  #commits = 0;
  #inFlight: Promise<void> | undefined;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the last commit ended and how long it took, in ms. */
  #lastEnd = 0;
  #lastDuration = 0;
  #acks: Promise<void> = Promise.resolve();
  #failed = false;
  #closed = false;
  /** An exactly-once sink commits the positions: the store is not called. */
  #bySink = false;

  constructor(settings: CheckpointSettings) {
    this.#settings = settings;
  }

  /**
   * The position commits start from: the stored one, or the reset's. A
   * store that fails here fails the pipeline, as a failed commit does.
   */
  start(): Promise<Position | undefined> {
    return this.#start().catch((error) => {
      this.#fail(error);
      throw error;
    });
  }

  async #start(): Promise<Position | undefined> {
    const { store, id, reset } = this.#settings;
    if (store === undefined) return undefined;
    if (reset !== undefined) await store.delete(id);
    const { generation, position } = await store.acquire(id);
    this.#generation = generation;
    let start = position;
    if (reset !== undefined && reset !== "start") {
      start = reset.position;
      await store.commit(id, start, generation);
    }
    this.#committed = start;
    this.#committedJson = start === undefined
      ? undefined
      : JSON.stringify(start);
    return start;
  }

  /** The last committed position. */
  get committed(): Position | undefined {
    return this.#committed;
  }

  /** How many commits succeeded. */
  get commits(): number {
    return this.#commits;
  }

  /** The source emitted records up to sequence `to`, ending at `position`. */
  read(to: number, position: Position): void {
    this.#pending.push({ to, position });
    this.#readTo = to;
  }

  /**
   * For a source that numbers what is done apart from what it read (a
   * `merge()` reports done positions as `read` and `stored` in one go):
   * `total` records were read so far, for `maxUncommittedRecords`.
   */
  readCount(total: number): void {
    this.#readTo = total;
  }

  /**
   * Whether the source may read its next batch: `undefined` when it may,
   * else a promise that resolves once enough is committed (or the
   * checkpointer closed or failed). Without `maxUncommittedRecords`, always
   * `undefined`.
   */
  ready(): Promise<void> | undefined {
    if (!this.#blocked()) return undefined;
    const waiting = new Promise<void>((resolve) => this.#resume = resolve);
    // Whatever is done goes now: waiting for everyRecords or everyMs could
    // wait for records that this wait keeps from being read.
    if (this.#positionTo > this.#committedTo) this.#commitSoon();
    return waiting;
  }

  /** The sink stored (or processors dropped) records `[from, to)`. */
  stored(from: number, to: number): void {
    const before = this.#done.watermark;
    const watermark = this.#done.add(from, to);
    if (watermark === before) return;
    let advanced = false;
    while (this.#pending.length > 0 && this.#pending[0]!.to <= watermark) {
      const done = this.#pending.shift()!;
      this.#position = done.position;
      this.#positionTo = done.to;
      // Every position, in order: positions of different writers (a channel
      // reader) are not cumulative across each other.
      this.#acknowledge(this.#position);
      advanced = true;
    }
    if (!advanced) return;
    this.#hasPosition = true;
    this.#sinceCommit += watermark - before;
    if (this.#settings.store === undefined) return;
    if (
      this.#sinceCommit >= (this.#settings.everyRecords ?? 1000) ||
      this.#urgent()
    ) {
      this.#commitSoon();
    } else this.#arm();
  }

  /**
   * For an exactly-once sink about to store a batch ending at sequence
   * `to`: what it commits with it. From then on the sink commits every
   * position and this instance only keeps count.
   */
  forSink(to: number): SinkCheckpoint | undefined {
    const { store, id } = this.#settings;
    if (!store) return;
    this.#bySink = true;
    return {
      store,
      id,
      generation: this.#generation,
      position: this.#pending.find((read) => read.to == to)?.position,
    };
  }

  /**
   * Commits the done position, if it moved, and stops the timer. Resolves
   * once it is stored; rejects with the store's error (a `FencedError` when
   * a newer instance took over).
   */
  async flush(): Promise<void> {
    this.close();
    await this.#acks;
    while (this.#inFlight) await this.#inFlight.catch(() => {});
    if (this.#failed) return;
    await this.#commit();
  }

  /** Stops timers without committing (after a failure). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake();
  }

  /** Reading must wait: `maxUncommittedRecords` records are read but not committed. */
  #blocked(): boolean {
    const max = this.#settings.maxUncommittedRecords;
    return max !== undefined && !this.#closed && !this.#failed &&
      this.#readTo - this.#committedTo >= max;
  }

  /**
   * Commit without the duty pause: half of the bound is uncommitted, and
   * a done position is ahead of the committed one.
   */
  #urgent(): boolean {
    const max = this.#settings.maxUncommittedRecords;
    return max !== undefined && this.#positionTo > this.#committedTo &&
      2 * (this.#readTo - this.#committedTo) >= max;
  }

  /** Lets a waiting source read again, if it may (or the run is over). */
  #wake(): void {
    if (this.#resume === undefined || this.#blocked()) return;
    const resume = this.#resume;
    this.#resume = undefined;
    resume();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    // #commitSoon() forgets the timer that called it.
    this.#timer = setTimeout(
      () => this.#commitSoon(),
      this.#settings.everyMs ?? 5000,
    );
  }

  #commitSoon(): void {
    if (this.#closed || this.#failed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    const pause = this.#lastEnd + DUTY_FACTOR * this.#lastDuration -
      performance.now();
    if (pause > 0 && !this.#urgent()) {
      this.#timer = setTimeout(() => this.#commitSoon(), pause);
      return;
    }
    this.#inFlight = this.#commit().then(
      () => {
        this.#inFlight = undefined;
        this.#wake();
        if (this.#again || this.#urgent()) {
          this.#again = false;
          this.#commitSoon();
        } else if (this.#sinceCommit > 0) this.#arm();
      },
      (error) => {
        this.#inFlight = undefined;
        this.#fail(error);
      },
    );
  }

  async #commit(): Promise<void> {
    if (!this.#hasPosition || this.#settings.store === undefined) return;
    const position = this.#position!;
    const positionTo = this.#positionTo;
    const json = JSON.stringify(position);
    if (json === this.#committedJson) {
      this.#committedTo = positionTo;
      return;
    }
    this.#sinceCommit = 0;
    const { store, id } = this.#settings;
    const started = performance.now();
    if (!this.#bySink) await store!.commit(id, position, this.#generation);
    this.#lastEnd = performance.now();
    this.#lastDuration = this.#lastEnd - started;
    this.#committed = position;
    this.#committedJson = json;
    this.#committedTo = positionTo;
    this.#commits++;
  }

  #acknowledge(position: Position): void {
    const ack = this.#settings.ack;
    if (ack === undefined) return;
    this.#acks = this.#acks
      .then(() => this.#failed ? undefined : ack(position))
      .catch((error) => this.#fail(error));
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.close();
    this.#settings.onFailure(error);
  }
}
