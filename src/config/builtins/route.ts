// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";
import { pointerReader } from "../../util/json_pointer.ts";

/** The args of {@linkcode routeDefinition}. */
export interface RouteArgs {
  /**
   * The field whose value chooses, as a JSON pointer into the record
   * (`/status`, `/customer/tier`; `""` for the record itself).
   */
  field: string;
  /**
   * Values of the field, each to the name (or names) of the processors
   * that take the records with that value. A number or boolean field
   * matches its text (`200` matches the key `"200"`).
   */
  routes: Record<string, string | string[]>;
  /**
   * Where the records go whose value matches no route (or who have none):
   * one name or several. Without it they are dropped, and count as done.
   */
  default?: string | string[];
}

/** A JSON pointer (RFC 6901): `""`, or `/` before each reference token. */
const JSON_POINTER = /^(?:\/(?:[^~/]|~[01])*)*$/;

const names = z.union([
  z.string().check(z.minLength(1)),
  z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
]);

/**
 * `route`: sends each record to the processors named for the value of one
 * of its fields. It is no stream of its own: in a config it is a node of
 * the graph, and the processors it names read from it (`from: [route's
 * name]`); a runner builds `route()` of `@ca/streams` from it, with those
 * processors' branches as its sinks. `create` returns the choice: a
 * function from a record to the names it goes to (`undefined`: none).
 *
 * ```yaml
 * - { name: by-status, use: route, args: { field: /status, routes: { paid: publish, refunded: [refunds, audit] }, default: audit } }
 * - { name: publish, use: file-sink, from: by-status, args: { path: paid.ndjson } }
 * ```
 *
 * @example Choose the targets of records
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors().find((d) => d.name === "route")!;
 * const choose = await definition.create(
 *   { field: "/status", routes: { paid: "publish", refunded: ["refunds", "audit"] }, default: "audit" },
 *   {
 *     name: "by-status",
 *     pipelineId: "demo",
 *     baseUrl: "file:///tmp/",
 *     signal: new AbortController().signal,
 *   },
 * ) as (record: unknown) => readonly string[] | undefined;
 * if (choose({ status: "paid" })?.join() !== "publish") throw new Error("paid");
 * if (choose({ status: "refunded" })?.join() !== "refunds,audit") throw new Error("refunded");
 * if (choose({ status: "open" })?.join() !== "audit") throw new Error("default");
 * ```
 */
export const routeDefinition: ProcessorDefinition<RouteArgs> = defineProcessor<
  RouteArgs
>({
  name: "route",
  kind: "processor",
  description:
    "Sends each record to the processors named for the value of a field (a JSON pointer), or to a default; they name the route in from.",
  args: z.strictObject({
    field: z.string().check(
      z.refine((field) => JSON_POINTER.test(field), {
        message: 'expected a JSON pointer, such as "/status"',
      }),
    ),
    routes: z.record(z.string(), names).check(
      z.refine((routes) => Object.keys(routes).length > 0, {
        message: "expected at least one route: a value and the processors",
      }),
    ),
    default: z.optional(names),
  }),
  create({ field, routes, default: fallback }) {
    // Each name once: a record goes to a processor at most once.
    const list = (to: string | string[]): readonly string[] =>
      typeof to === "string" ? [to] : [...new Set(to)];
    const targets = new Map<string, readonly string[]>();
    for (const [value, to] of Object.entries(routes)) {
      targets.set(value, list(to));
    }
    const otherwise = fallback === undefined ? undefined : list(fallback);
    const read = pointerReader(field);
    return function choose(record: unknown): readonly string[] | undefined {
      const value = read(record);
      const key = typeof value === "string"
        ? value
        : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : undefined;
      return (key === undefined ? undefined : targets.get(key)) ?? otherwise;
    };
  },
});
