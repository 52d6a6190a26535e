// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import type { CloudEvent } from "../../cloudevents/cloud_event.ts";
import { map } from "../../processors/map.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";
import { assertObjectRecord } from "./json_value.ts";

/** The args of {@linkcode toCloudEventDefinition}. */
export interface ToCloudEventArgs {
  /** The events' `source` (a URI reference). */
  source: string;
  /** The events' `type`. */
  type: string;
  /** The record field whose value becomes the event's `id` (default `"id"`). */
  idField?: string;
  /** The record field whose value becomes the event's `subject`, if any. */
  subjectField?: string;
}

/**
 * `to-cloud-event`: wraps each record in a CloudEvents 1.0 envelope, the
 * record as `data` (JSON), its `idField` as `id`. Built on `map()`.
 *
 * @example Wrap a record
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors().find((d) => d.name === "to-cloud-event")!;
 * const stream = await definition.create(
 *   { source: "/orders", type: "order.created" },
 *   {
 *     name: "wrap",
 *     pipelineId: "demo",
 *     baseUrl: "file:///tmp/",
 *     signal: new AbortController().signal,
 *   },
 * ) as TransformStream<object, { id: string; data: unknown }>;
 * const [event] = await Array.fromAsync(
 *   ReadableStream.from([{ id: 7, total: 3 }]).pipeThrough(stream),
 * );
 * if (event?.id !== "7") throw new Error("unexpected");
 * ```
 */
export const toCloudEventDefinition: ProcessorDefinition<ToCloudEventArgs> =
  defineProcessor<ToCloudEventArgs>({
    name: "to-cloud-event",
    kind: "processor",
    description:
      "Wraps each record in a CloudEvents 1.0 envelope: the record is the data, a field of it the id.",
    args: z.strictObject({
      source: z.string().check(z.minLength(1)),
      type: z.string().check(z.minLength(1)),
      idField: z.optional(z.string().check(z.minLength(1))),
      subjectField: z.optional(z.string().check(z.minLength(1))),
    }),
    create(
      { source, type, idField = "id", subjectField },
    ): TransformStream<unknown, CloudEvent> {
      return map(function toCloudEvent(record: unknown): CloudEvent {
        assertObjectRecord("to-cloud-event", record);
        const id = record[idField];
        if (typeof id !== "string" && typeof id !== "number") {
          throw new TypeError(
            `Cannot make a CloudEvent: the record's ${idField} must be a string or a number, got ${
              id === null ? "null" : typeof id
            }`,
          );
        }
        const event: CloudEvent = {
          specversion: "1.0",
          id: String(id),
          source,
          type,
          datacontenttype: "application/json",
          data: record,
        };
        const subject = subjectField === undefined
          ? undefined
          : record[subjectField];
        if (subject !== undefined) event.subject = String(subject);
        return event;
      });
    },
  });
