// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeValue } from "../util/describe_value.ts";
import { HostError } from "./_host_error.ts";
import type { RunningConnector } from "./connector_runner.ts";
import { TapError } from "./tap_error.ts";
import type { TapMessage } from "./tap_message.ts";
import type { TapOptions } from "./tap_options.ts";

/** What a tap needs of a running connector. */
export interface Tappable {
  tap(
    stage: string,
    listener: (records: readonly unknown[]) => void,
  ): () => void;
  readonly ended: Promise<unknown>;
}

/** The default rate, in records a second. */
export const DEFAULT_PER_SECOND = 100;
/** The default queue bound, in records. */
export const DEFAULT_MAX_QUEUED = 1000;
const MAX_PER_SECOND = 100_000;
const MAX_QUEUED = 100_000;

/** The options, checked and with their defaults. */
export function checkTapOptions(
  options: TapOptions,
  doing: string,
): { every?: number; perSecond: number; maxQueued: number } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot ${doing}: options must be an object, got ${
        describeValue(options)
      }`,
    );
  }
  const { every, perSecond, maxQueued } = options;
  const number = (name: string, value: unknown) => {
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new TypeError(
        `Cannot ${doing}: ${name} must be a number, got ${
          describeValue(value)
        }`,
      );
    }
  };
  if (every !== undefined && perSecond !== undefined) {
    throw new TypeError(
      `Cannot ${doing}: give every or perSecond, not both`,
    );
  }
  if (every !== undefined) {
    number("every", every);
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new RangeError(
        `Cannot ${doing}: every must be an integer of at least 1, got ${every}`,
      );
    }
  }
  if (perSecond !== undefined) {
    number("perSecond", perSecond);
    if (!(perSecond > 0 && perSecond <= MAX_PER_SECOND)) {
      throw new RangeError(
        `Cannot ${doing}: perSecond must be more than 0 and at most ${MAX_PER_SECOND}, got ${perSecond}`,
      );
    }
  }
  if (maxQueued !== undefined) {
    number("maxQueued", maxQueued);
    if (
      !Number.isSafeInteger(maxQueued) || maxQueued < 1 ||
      maxQueued > MAX_QUEUED
    ) {
      throw new RangeError(
        `Cannot ${doing}: maxQueued must be an integer from 1 to ${MAX_QUEUED}, got ${maxQueued}`,
      );
    }
  }
  return {
    ...(every === undefined ? {} : { every }),
    perSecond: perSecond ?? DEFAULT_PER_SECOND,
    maxQueued: maxQueued ?? DEFAULT_MAX_QUEUED,
  };
}

/** A record as it was when sampled: a copy when it can be copied. */
function snapshot(record: unknown): unknown {
  if (record === null || typeof record !== "object") return record;
  try {
    return structuredClone(record);
  } catch {
    return record;
  }
}

/**
 * Subscribes to a stage of a running connector and returns its sampled
 * records as a stream of {@linkcode TapMessage}s. The listener runs inside
 * the pipeline, once per batch: it samples (every Nth record, or a token
 * bucket of `perSecond` with one second of burst, picks spread over the
 * batch), copies what it takes into a queue of at most `maxQueued`
 * records, and counts what does not fit as dropped. It never waits and
 * never throws. Each read of the stream takes what is queued (waiting
 * until something is); the stream ends once the connector's run ended and
 * the queue is empty, or when cancelled or `signal` aborts.
 *
 * @throws What `connector.tap` throws (a `TapError`), and a
 * `TypeError`/`RangeError` for wrong options.
 */
export function openTapStream(
  connector: Tappable,
  stage: string,
  options: TapOptions,
  doing: string,
  now: () => number = () => performance.now(),
): ReadableStream<TapMessage> {
  const { every, perSecond, maxQueued } = checkTapOptions(options, doing);
  const signal = options.signal;
  let queue: unknown[] = [];
  let dropped = 0;
  let over = false;
  let wake: (() => void) | undefined;
  let seen = 0;
  let tokens = perSecond;
  let last = now();
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const take = (record: unknown) => {
    if (queue.length < maxQueued) queue.push(snapshot(record));
    else dropped++;
  };
  const listener = (records: readonly unknown[]) => {
    try {
      if (over) return;
      const n = records.length;
      const before = queue.length + dropped;
      if (every !== undefined) {
        for (let i = (every - (seen % every)) % every; i < n; i += every) {
          take(records[i]);
        }
        seen = (seen + n) % every;
      } else {
        const at = now();
        tokens = Math.min(
          Math.max(perSecond, 1),
          tokens + (at - last) * perSecond / 1000,
        );
        last = at;
        const k = Math.min(n, Math.floor(tokens));
        tokens -= k;
        for (let j = 0; j < k; j++) take(records[Math.floor(j * n / k)]);
      }
      if (queue.length + dropped !== before) notify();
    } catch {
      // A tap never fails the pipeline.
    }
  };
  if (signal?.aborted) over = true;
  const unsubscribe = over ? () => {} : connector.tap(stage, listener);
  const end = () => {
    if (over) return;
    over = true;
    unsubscribe();
    notify();
  };
  connector.ended.then(end, end);
  signal?.addEventListener("abort", () => {
    end();
    queue = [];
  }, { once: true });
  return new ReadableStream<TapMessage>({
    async pull(controller) {
      while (queue.length === 0 && !over) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      if (queue.length > 0) {
        const records = queue;
        queue = [];
        controller.enqueue({ records, dropped });
      } else {
        controller.close();
      }
    },
    cancel() {
      end();
      queue = [];
    },
  }, { highWaterMark: 0 });
}

/**
 * The tap of a running connector's stage, as `ConnectorHost.tap()` opens
 * it: a `TapError` of the runner becomes a `HostError` of the same code.
 */
export function tapConnector(
  connector: RunningConnector,
  stage: string,
  options: TapOptions,
  doing: string,
  now?: () => number,
): ReadableStream<TapMessage> {
  const tap = connector.tap;
  if (typeof tap !== "function") {
    throw new HostError(
      "CA_ERR_HOST_TAP_UNSUPPORTED",
      `Cannot ${doing}: its runner has no tap`,
    );
  }
  try {
    return openTapStream(
      {
        tap: (name, listener) => tap.call(connector, name, listener),
        ended: connector.ended,
      },
      stage,
      options,
      doing,
      now,
    );
  } catch (error) {
    if (error instanceof TapError) {
      throw new HostError(error.code, error.message);
    }
    throw error;
  }
}
