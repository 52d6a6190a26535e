// Copyright 2026 the @ca/streams authors. MIT license.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import type { Registry } from "../../src/config/registry.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { errorLine } from "./error_line.ts";
import { openStore } from "./open_store.ts";

/** How long a store may take to answer, in ms. */
const STORE_TIMEOUT_MS = 10_000;

/** Settles as `work` does, or rejects once `signal` aborts. */
function until<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

/** An abort controller that aborts itself after `ms`, saying what was slow. */
function deadline(ms: number, what: string): AbortController {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new Error(`${what} did not answer within ${ms / 1000} s`),
      ),
    ms,
  );
  controller.signal.addEventListener("abort", () => clearTimeout(timer));
  // Never keep the process alive for the timer alone.
  (timer as unknown as { unref?(): void }).unref?.();
  return controller;
}

/**
 * Opens a config's checkpoint store, reads the checkpoint of each id and
 * closes it again, each step within a time limit: whether the store can be
 * reached, before a run starts (stores' clients connect lazily, so opening
 * alone proves little). Nothing is written.
 *
 * @param config The config's `checkpoint.store`.
 * @param options The registry, the pipeline id, the config's directory, the
 * checkpoint ids to read (the segments that start with a source), the
 * time limit of each step (default 10 s) and what opens the store.
 * @returns The stored position of each id (`undefined`: none yet).
 * @throws {ConfigError} For bad args; a `MissingPackageError` when its
 * client package is not installed; else an error "Cannot open the TYPE
 * store: why" (refused, or no answer in time).
 */
export async function probeStore(
  config: StoreConfig,
  options: {
    registry: Registry;
    pipelineId: string;
    baseUrl: string;
    ids: string[];
    timeoutMs?: number;
    /** Opens the store (default {@linkcode openStore}). */
    open?: typeof openStore;
  },
): Promise<Map<string, Position | undefined>> {
  const timeoutMs = options.timeoutMs ?? STORE_TIMEOUT_MS;
  const what = `the ${config.type} store`;
  const limit = deadline(timeoutMs, what);
  let store: CheckpointStore | undefined;
  let opening: Promise<CheckpointStore> | undefined;
  try {
    opening = (options.open ?? openStore)(config, {
      registry: options.registry,
      pipelineId: options.pipelineId,
      baseUrl: options.baseUrl,
      signal: limit.signal,
    });
    store = await until(opening, limit.signal);
    const positions = new Map<string, Position | undefined>();
    for (const id of options.ids) {
      const { position } = await until(
        store.get(id, { signal: limit.signal }),
        limit.signal,
      );
      positions.set(id, position);
    }
    return positions;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof ConfigError || code === "CA_ERR_MISSING_PACKAGE") {
      throw error;
    }
    throw new Error(`Cannot open ${what}: ${errorLine(error)}`, {
      cause: error,
    });
  } finally {
    limit.abort();
    // Opened only after the time limit: closed once it is.
    if (store === undefined) {
      opening?.then((late) => late.close?.(), () => {}).catch(() => {});
    }
    if (store?.close) {
      const closing = deadline(timeoutMs, `closing ${what}`);
      await until(store.close(), closing.signal).catch(() => {});
      closing.abort();
    }
  }
}
