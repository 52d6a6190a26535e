// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { urlArg } from "../../src/config/url_arg.ts";

const SCHEMES = ["nats", "tls", "ws", "wss"] as const;

/**
 * The `url` arg of the NATS definitions: one server, or a list of them
 * (the servers of one NATS cluster, so a connection made after one of them
 * died reaches another).
 *
 * @returns The schema.
 */
export function natsUrlArg(): z.ZodMiniUnion<
  [z.ZodMiniString<string>, z.ZodMiniArray<z.ZodMiniString<string>>]
> {
  return z.union([
    urlArg(SCHEMES),
    z.array(urlArg(SCHEMES)).check(
      z.minLength(1, "expected at least one nats:// URL"),
    ),
  ]);
}
