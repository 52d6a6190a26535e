// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { nameOf } from "./assemble.ts";
import { GRAPH_SINK } from "./graph_node.ts";
import type { GraphSink, OpenedSink, SinkContext } from "./graph_node.ts";
import { sinkStream } from "./sink_stream.ts";

/** Opens a sink inside `pipeline()`: a graph node runs itself. */
export function openSink(
  sink: WritableStream<unknown>,
  context: SinkContext,
): OpenedSink {
  const node = (sink as { [GRAPH_SINK]?: GraphSink })[GRAPH_SINK];
  if (node) return node.open(context);
  const { index, branch } = context;
  const name = nameOf(sink, WritableStream);
  return sinkStream(
    sink,
    index,
    name,
    context.onStored,
    context.divertFor?.(index, name, branch),
    context.signal,
  );
}
