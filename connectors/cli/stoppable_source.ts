// Copyright 2026 the @ca/streams authors. MIT license.

import { readableOf } from "../../src/graph/readable_of.ts";
import type { PipelineSource } from "../../src/pipeline/source_stream.ts";
import {
  RESUMABLE_SOURCE,
  resumableSource,
  type ResumableSourceInit,
} from "../../src/sources/resumable_source.ts";

/**
 * A source that ends, as if it had no more records, once `stopped`
 * settles: a graceful stop of one origin of a `merge()` whose other
 * origins must go on (channel readers end when their writers end). A
 * resumable source stays resumable: same name, same positions, same `ack`.
 * What was read but not yet emitted when it stops is read again after a
 * restart, as after any stop.
 *
 * @param source A source as a processor definition created it.
 * @param stopped Settles when the source must stop.
 * @returns The source, stoppable.
 */
export function stoppableSource(
  source: unknown,
  stopped: Promise<void>,
): unknown {
  const init = (source as { [RESUMABLE_SOURCE]?: ResumableSourceInit<unknown> })
    ?.[RESUMABLE_SOURCE];
  if (init !== undefined) {
    return resumableSource<unknown>({
      ...(init.name === undefined ? {} : { name: init.name }),
      ...(init.ack === undefined
        ? {}
        : { ack: (position) => init.ack!(position) }),
      open: (after, options) =>
        untilStopped(readableOf(init.open(after, options)), stopped),
    });
  }
  return {
    [Symbol.asyncIterator]: () =>
      untilStopped(readableOf(source as PipelineSource<unknown>), stopped),
  };
}

async function* untilStopped<T>(
  stream: ReadableStream<T>,
  stopped: Promise<void>,
): AsyncGenerator<T> {
  const reader = stream.getReader();
  const stop = stopped.then(() => undefined, () => undefined);
  try {
    for (;;) {
      const step = await Promise.race([reader.read(), stop]);
      if (step === undefined || step.done) return;
      yield step.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
