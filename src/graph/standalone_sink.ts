// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { SinkBranch } from "./sink_branch.ts";

/**
 * The plain `WritableStream` behind `fanOut()` and `route()` used outside
 * `pipeline()`: each record is written to the sinks `targets(record)`
 * picks (indexes into `branches`), concurrently; a write resolves once
 * every sink that is not best effort took it. A best-effort sink's
 * failure is swallowed.
 */
export function standaloneSink(
  branches: SinkBranch[],
  targets: (record: unknown) => readonly number[],
): UnderlyingSink<unknown> {
  let writers: WritableStreamDefaultWriter<unknown>[] | undefined;
  // Sinks are locked on first use, so that pipeline() can still take them.
  const open = () => writers ??= branches.map((b) => b.given.getWriter());
  // A best-effort sink is not waited for: it must never slow the others.
  const settle = (branch: SinkBranch, done: Promise<void>) => {
    if (!branch.bestEffort) return done;
    done.catch(() => {});
  };
  return {
    async write(record) {
      const all = open();
      await Promise.all(
        targets(record).map((i) => settle(branches[i]!, all[i]!.write(record))),
      );
    },
    async close() {
      const all = open();
      await Promise.all(all.map((w, i) => settle(branches[i]!, w.close())));
    },
    async abort(reason) {
      const all = open();
      await Promise.all(all.map((w) => w.abort(reason).catch(() => {})));
    },
  };
}
