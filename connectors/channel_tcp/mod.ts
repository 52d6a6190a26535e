// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * TCP connections for channels, on Deno and Node: a reader listens, writers
 * dial. Each side gets a {@linkcode ChannelConnection}: a byte stream each
 * way, which the channel protocol runs over.
 *
 * ```ts
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener[Symbol.asyncIterator]().next();
 * const client = await tcpConnect({ hostname: "127.0.0.1", port: listener.port });
 * const server = (await accepted).value!;
 * const writer = client.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hi"));
 * const { value } = await server.readable.getReader().read();
 * if (new TextDecoder().decode(value) !== "hi") throw new Error("unexpected");
 * client.close();
 * server.close();
 * await listener.close();
 * ```
 *
 * @module
 */

export * from "./tcp_listen.ts";
export * from "./tcp_connect.ts";
export type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
