// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { cloudEventsWriter } from "../../cloudevents/cloud_events_writer.ts";
import type { CloudEventsMode } from "../../cloudevents/http_message.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";

/** The args of {@linkcode cloudEventsHttpWriterDefinition}. */
export interface CloudEventsHttpWriterArgs {
  /** Where to POST. */
  url: string;
  /** `"binary"`, `"structured"` or `"batch"` (default `"batch"`). */
  mode?: CloudEventsMode;
  /** The most events in one batch request (default 100). */
  maxBatchEvents?: number;
  /** How long one request may take, in ms. */
  timeoutMs?: number;
}

/**
 * `cloudevents-http-writer`: a sink that POSTs CloudEvents over HTTP
 * (`cloudEventsWriter()`), retrying with backoff; a batch counts as stored
 * once the server answered 2xx.
 *
 * @example Its args
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors()
 *   .find((d) => d.name === "cloudevents-http-writer")!;
 * const checked = await definition.args["~standard"].validate({ url: "htp:/x" });
 * if (!checked.issues) throw new Error("expected a URL issue");
 * ```
 */
export const cloudEventsHttpWriterDefinition: ProcessorDefinition<
  CloudEventsHttpWriterArgs
> = defineProcessor<CloudEventsHttpWriterArgs>({
  name: "cloudevents-http-writer",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "POSTs CloudEvents (binary, structured or batch mode) with retries; stored once the server answers 2xx.",
  args: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    mode: z.optional(z.enum(["binary", "structured", "batch"])),
    maxBatchEvents: z.optional(z.int().check(z.positive())),
    timeoutMs: z.optional(z.int().check(z.positive())),
  }),
  create({ url, mode = "batch", maxBatchEvents, timeoutMs }, { signal }) {
    return cloudEventsWriter(url, { mode, maxBatchEvents, timeoutMs, signal });
  },
});
