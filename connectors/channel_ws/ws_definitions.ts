// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineTransport } from "../../src/config/define_transport.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { wsConnect } from "./ws_connect.ts";
import { wsListen } from "./ws_listen.ts";

/** The URL path of a channel when its args name none. */
const DEFAULT_PATH = "/ca-streams";

/** A host in a URL: an IPv6 address goes in brackets. */
function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

const transport = defineTransport({
  name: "ws",
  description:
    "Channels over WebSocket (subprotocol ca-streams.v1) on Deno and Node: the reader serves ws://host:port/path, the writer dials it (listening on Node needs the npm package ws).",
  delivery: "at-least-once",
  args: z.strictObject({
    path: z.optional(
      z.string().check(z.regex(/^\/[^\s?#]*$/)),
    ),
  }),
  listen: ({ path }, { host, port }) =>
    wsListen({ hostname: host, port, path: path ?? DEFAULT_PATH }),
  connect: ({ path }, { host, port, signal }) =>
    wsConnect(`ws://${urlHost(host)}:${port}${path ?? DEFAULT_PATH}`, {
      signal,
    }),
});

/**
 * The WebSocket channel connector's definitions for pipeline configs: the
 * `ws` transport (`channels[].transport: ws`, `args: { path? }`, default
 * path `/ca-streams`).
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { wsDefinitions } from "./ws_definitions.ts";
 *
 * const names = wsDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "transport:ws") throw new Error(`unexpected ${names}`);
 * ```
 */
export function wsDefinitions(): Definition[] {
  return [transport as Definition];
}
