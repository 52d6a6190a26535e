// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// A fake ConnectorRunner for the host's tests: it runs nothing, counts the
// pipelines it keeps "running" per connector, and fails runs as scripted.

import type { Position } from "../checkpoint/position.ts";
import type { ConfigIssue } from "../config/config_issue.ts";
import type { ConnectorStartContext } from "./connector_start_context.ts";
import type {
  ConnectorFailure,
  ConnectorProgress,
  ConnectorRunner,
  RunningConnector,
} from "./connector_runner.ts";

/** One start of a connector by the fake runner. */
export interface FakeRun {
  id: string;
  config: Record<string, unknown>;
  /** Whether it has started and not ended. */
  live: boolean;
  /** Whether it ended through stop() or abort(). */
  stoppedByHost: boolean;
  /** How the host ended it, when it did. */
  endedBy: "stop" | "abort" | undefined;
  /** The context the host started it with. */
  context: ConnectorStartContext | undefined;
  progress: ConnectorProgress;
  /** Ends it as the pipeline failing would. */
  fail(failure: ConnectorFailure): void;
  /** Ends it as the pipeline finishing would. */
  finish(): void;
}

/** What the fake runner does when a connector starts. */
export type FakeScript = (
  id: string,
  attempt: number,
) =>
  | { fail: ConnectorFailure; at: "start" | "run" }
  | undefined;

/** A fake ConnectorRunner that keeps a count of live runs per connector. */
export class FakeRunner implements ConnectorRunner {
  /** Every run, in start order. */
  runs: FakeRun[] = [];
  /** Every reset: connector id and position. */
  resets: { id: string; position: Position | undefined }[] = [];
  /** The most runs of one connector live at once, by id (and of one instance, by `ID#index`). */
  maxLive: Map<string, number> = new Map();
  /** Every fence and start, in order: `fence ID` and `start ID`. */
  calls: string[] = [];
  /** Every remove, by connector id, in order (those that failed too). */
  removes: string[] = [];
  /** When set, remove() fails with it. */
  removeError: Error | undefined;
  /** Issues check() returns for a config (default: none). */
  issues: (config: Record<string, unknown>) => ConfigIssue[] = () => [];
  /** How each start goes (default: it runs until stopped). */
  script: FakeScript = () => undefined;

  /** The runs of `id` live now. */
  live(id: string): FakeRun[] {
    return this.runs.filter((run) => run.id === id && run.live);
  }

  check(config: Record<string, unknown>): Promise<ConfigIssue[]> {
    return Promise.resolve(this.issues(config));
  }

  reset(
    id: string,
    _config: Record<string, unknown>,
    position: Position | undefined,
  ): Promise<void> {
    this.resets.push({ id, position });
    return Promise.resolve();
  }

  fence(id: string, _config: Record<string, unknown>): Promise<void> {
    this.calls.push(`fence ${id}`);
    return Promise.resolve();
  }

  remove(id: string, _config: Record<string, unknown>): Promise<void> {
    this.removes.push(id);
    return this.removeError === undefined
      ? Promise.resolve()
      : Promise.reject(this.removeError);
  }

  start(
    id: string,
    config: Record<string, unknown>,
    context?: ConnectorStartContext,
  ): RunningConnector {
    this.calls.push(`start ${id}`);
    const attempt = this.runs.filter((run) => run.id === id).length + 1;
    const planned = this.script(id, attempt);
    let end!: (failure: ConnectorFailure | undefined) => void;
    const ended = new Promise<ConnectorFailure | undefined>((resolve) =>
      end = resolve
    );
    const run: FakeRun = {
      id,
      config,
      live: false,
      stoppedByHost: false,
      endedBy: undefined,
      context,
      progress: {
        recordsRead: 0,
        recordsWritten: 0,
        recordsDeadLettered: 0,
        position: null,
      },
      fail(failure) {
        run.live = false;
        end(failure);
      },
      finish() {
        run.live = false;
        end(undefined);
      },
    };
    this.runs.push(run);
    // Started a macrotask later, as a real pipeline would be.
    const started = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        if (planned?.at === "start") {
          const error = Object.assign(new Error(planned.fail.message), {
            failure: planned.fail,
          });
          end(planned.fail);
          reject(error);
          return;
        }
        let over = false;
        ended.then(() => (over = true));
        queueMicrotask(() => {
          if (over) return resolve();
          run.live = true;
          const live = this.live(id).length;
          this.maxLive.set(id, Math.max(this.maxLive.get(id) ?? 0, live));
          // Per instance too, as `ID#index`.
          const index = context?.instance?.index;
          if (index !== undefined) {
            const key = `${id}#${index}`;
            const same = this.live(id).filter((other) =>
              other.context?.instance?.index === index
            ).length;
            this.maxLive.set(key, Math.max(this.maxLive.get(key) ?? 0, same));
          }
          resolve();
          if (planned?.at === "run") {
            setTimeout(() => run.fail(planned.fail), 0);
          }
        });
      }, 0);
    });
    started.catch(() => {});
    const halt = async (how: "stop" | "abort") => {
      await started.catch(() => {});
      if (run.live) {
        run.stoppedByHost = true;
        run.endedBy = how;
        await new Promise((resolve) => setTimeout(resolve, 0));
        run.finish();
      } else end(undefined);
      await ended;
    };
    return {
      started,
      ended,
      stop: () => halt("stop"),
      abort: () => halt("abort"),
      progress: () => ({ ...run.progress }),
    };
  }
}
