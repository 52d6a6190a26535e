// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Where `batchSink()` keeps its `options.retry` for `pipeline()` (internal). */
export const SINK_RETRY: unique symbol = Symbol.for(
  "@ca/streams/sink-retry",
) as never;
