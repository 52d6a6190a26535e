// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type {
  ChannelConnection,
  ChannelListener,
} from "../channel/channel_connection.ts";
import { completeDefinition } from "./check_definition.ts";
import type { DeliveryGuarantee } from "./define_processor.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * Where a transport listens or dials: a channel's `host` and `port`.
 *
 * @example Listen and dial over TCP at a transport address
 * ```ts
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 * import type { TransportAddress } from "@ca/streams/config";
 *
 * const listen = ({ host, port }: TransportAddress) => tcpListen({ hostname: host, port });
 * const dial = ({ host, port, signal }: TransportAddress) =>
 *   tcpConnect({ hostname: host, port }, { signal });
 * const listener = await listen({ host: "127.0.0.1", port: 0 });
 * const connection = await dial({ host: "127.0.0.1", port: listener.port });
 * connection.close();
 * await listener.close();
 * ```
 */
export interface TransportAddress {
  /** The host name or address, such as `"127.0.0.1"`. */
  host: string;
  /** The port; 0 asks `listen` for any free one. */
  port: number;
  /** Aborting it gives up dialling or listening. */
  signal?: AbortSignal;
}

/**
 * A channel transport a pipeline config can name as `channels[].transport`:
 * how the reader of a channel listens and its writer dials. Both ends get a
 * `ChannelConnection` (a byte stream each way) that the channel protocol
 * runs over; its args schema (any Standard Schema) validates the channel's
 * `args`.
 *
 * @typeParam Args The args after validation.
 *
 * @example Check any transport by listening and dialling once
 * ```ts
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 * import { defineTransport } from "@ca/streams/config";
 * import type { TransportDefinition } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * async function dialOnce(transport: TransportDefinition, args: unknown): Promise<void> {
 *   const signal = new AbortController().signal;
 *   const listener = await transport.listen(args, { host: "127.0.0.1", port: 0 });
 *   const address = { host: "127.0.0.1", port: listener.port, signal };
 *   (await transport.connect(args, address)).close();
 *   await listener.close();
 * }
 * await dialOnce(defineTransport({
 *   name: "plain-tcp",
 *   description: "TCP.",
 *   args: z.strictObject({}),
 *   listen: (_args, { host, port }) => tcpListen({ hostname: host, port }),
 *   connect: (_args, { host, port, signal }) => tcpConnect({ hostname: host, port }, { signal }),
 * }), {});
 * ```
 */
export interface TransportDefinition<Args = unknown> {
  /** The name configs write as `transport`: kebab-case, or scoped. */
  readonly name: string;
  /** Always `"transport"`. */
  readonly kind: "transport";
  /** One sentence for `ca list` and generated docs. */
  readonly description: string;
  /** Validates the channel's `args` (`{}` when omitted). */
  readonly args: StandardSchemaV1<unknown, Args>;
  /**
   * What a channel over it guarantees, for the catalog; the channel
   * protocol's acknowledgements make every transport `"at-least-once"`
   * unless it says otherwise.
   */
  readonly delivery?: DeliveryGuarantee;
  /**
   * Listens for connections: the reader's side. The listener's `port` is
   * the real port when 0 was asked for.
   *
   * @param args The validated args.
   * @param address The channel's host and port.
   * @returns A listener of connections.
   */
  listen(args: Args, address: TransportAddress): Promise<ChannelListener>;
  /**
   * Dials the reader: the writer's side. Called again after a broken
   * connection.
   *
   * @param args The validated args.
   * @param address Where the reader listens, and a signal to give up.
   * @returns One open connection.
   */
  connect(
    args: Args,
    address: TransportAddress & { signal: AbortSignal },
  ): Promise<ChannelConnection>;
}

/**
 * Checks a channel transport definition and returns it, typed: `Args` is
 * inferred from the args schema. Register it in a {@linkcode Registry}, or
 * export it from a module a config lists under `modules:`, and a config's
 * channels can name it.
 *
 * @typeParam Args The args after validation.
 * @param definition The name, description, args schema, `listen` and `connect`.
 * @returns The definition, with `kind: "transport"`.
 * @throws {TypeError} When a field is wrong: the message names it.
 *
 * @example TCP under another name, counting the connections dialled
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 * import { defineTransport } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * let dialled = 0;
 * export const countedTcp = defineTransport({
 *   name: "counted-tcp",
 *   description: "TCP, counting the connections dialled.",
 *   args: z.strictObject({}),
 *   listen: (_args, { host, port }) => tcpListen({ hostname: host, port }),
 *   connect(_args, { host, port, signal }) {
 *     dialled++;
 *     return tcpConnect({ hostname: host, port }, { signal });
 *   },
 * });
 * const listener = await countedTcp.listen({}, { host: "127.0.0.1", port: 0 });
 * const received = collect<number>();
 * const reading = pipeline(channelReader(listener, { stream: "n" }), received);
 * const address = { host: "127.0.0.1", port: listener.port };
 * await pipeline([1, 2, 3], channelWriter<number>(
 *   (signal) => countedTcp.connect({}, { ...address, signal }),
 *   { stream: "n" },
 * ));
 * await reading;
 * if (received.records.join() !== "1,2,3" || dialled !== 1) throw new Error("unexpected");
 * ```
 */
export function defineTransport<Args>(
  definition:
    & Omit<TransportDefinition<Args>, "kind">
    & { kind?: "transport" },
): TransportDefinition<Args> {
  return completeDefinition(
    definition,
    "transport",
  ) as TransportDefinition<Args>;
}
