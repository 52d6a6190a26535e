// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineTransport } from "../../src/config/define_transport.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { tcpConnect } from "./tcp_connect.ts";
import { tcpListen } from "./tcp_listen.ts";

const transport = defineTransport({
  name: "tcp",
  description:
    "Channels over TCP on Deno and Node (and the Python runner): the reader listens on host:port, the writer dials.",
  delivery: "at-least-once",
  args: z.strictObject({}),
  listen: (_args, { host, port }) => tcpListen({ hostname: host, port }),
  connect: (_args, { host, port, signal }) =>
    tcpConnect({ hostname: host, port }, { signal }),
});

/**
 * The TCP channel connector's definitions for pipeline configs: the `tcp`
 * transport, the default of `channels[].transport`. It takes no args.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { tcpDefinitions } from "./tcp_definitions.ts";
 *
 * const names = tcpDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "transport:tcp") throw new Error(`unexpected ${names}`);
 * ```
 */
export function tcpDefinitions(): Definition[] {
  return [transport as Definition];
}
