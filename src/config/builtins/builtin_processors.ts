// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ProcessorDefinition } from "../define_processor.ts";
import { cloudEventsHttpWriterDefinition } from "./cloud_events_http_writer.ts";
import { consoleSinkDefinition } from "./console_sink.ts";
import { generateDefinition } from "./generate.ts";
import { routeDefinition } from "./route.ts";
import { selectDefinition } from "./select.ts";
import { setDefinition } from "./set.ts";
import { takeDefinition } from "./take.ts";
import { toCloudEventDefinition } from "./to_cloud_event.ts";
import { whereDefinition } from "./where.ts";

/**
 * The processor definitions every config can `use` without a module, all
 * web-standard:
 *
 * | name       | kind      | args                                  |
 * | ---------- | --------- | ------------------------------------- |
 * | `generate` | source    | `count`, `template?`: records `{ id, value, ...template }`, resumable |
 * | `take`     | processor | `count`: the first `count` records    |
 * | `select`   | processor | `fields`: keep only these fields      |
 * | `where`    | processor | `field`, `equals`: keep matching records |
 * | `set`      | processor | `field`, `value`: set a field         |
 * | `to-cloud-event` | processor | `source`, `type`: wrap in a CloudEvent |
 * | `route`    | processor | `field`, `routes`, `default?`: send each record to the processors named for its field's value (a graph node: see `parsePipelineConfig`) |
 * | `cloudevents-http-writer` | sink | `url`, `mode?`: POST CloudEvents |
 * | `console-sink` | sink  | `format?`: JSON lines or `pretty`     |
 *
 * Sinks that write files or services live in `connectors/`.
 *
 * @returns A new array of the builtin definitions.
 *
 * @example A registry of the builtins
 * ```ts
 * import { builtinProcessors, Registry } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinProcessors());
 * if (!registry.has("processor", "generate")) throw new Error("no generate");
 * ```
 */
export function builtinProcessors(): ProcessorDefinition[] {
  return [
    generateDefinition,
    takeDefinition,
    selectDefinition,
    whereDefinition,
    setDefinition,
    toCloudEventDefinition,
    routeDefinition,
    cloudEventsHttpWriterDefinition,
    consoleSinkDefinition(),
  ] as ProcessorDefinition[];
}
