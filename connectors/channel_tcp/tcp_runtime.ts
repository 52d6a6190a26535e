// Copyright 2026 the @ca/streams authors. MIT license.

import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import type { TcpAddress } from "./tcp_address.ts";
import { currentRuntime } from "../runtime/current_runtime.ts";

// Kept apart so that workerd.ts can check addresses without this module,
// whose loader would pull node.ts into a worker bundle.
export { checkAddress } from "./tcp_address.ts";
export type { TcpAddress } from "./tcp_address.ts";

/** What each runtime provides; `deno.ts` and `node.ts` implement it. */
export interface TcpRuntime {
  listen(address: Required<TcpAddress>): Promise<ChannelListener>;
  connect(
    address: Required<TcpAddress>,
    signal: AbortSignal | undefined,
  ): Promise<ChannelConnection>;
}

let loaded: Promise<TcpRuntime> | undefined;

/** Loads the module of the runtime we run on, once and lazily. */
export function loadTcpRuntime(): Promise<TcpRuntime> {
  loaded ??= currentRuntime() === "deno"
    ? import("./deno.ts").then((m) => m.denoTcp)
    : import("./node.ts").then((m) => m.nodeTcp);
  return loaded;
}
