// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { HostErrorCode } from "./host_error_code.ts";
import type { TapMessage } from "./tap_message.ts";

/**
 * How to answer a WebSocket upgrade request for `GET
 * /connectors/{id}/tap`, as `ConnectorHost.tapRequest()` decides it; the
 * server that owns the socket does it (`ca serve` with the `ws` package on
 * Deno and Node; `Deno.upgradeWebSocket()` would do too):
 *
 * - `"refuse"`: answer `response` instead of upgrading: 401 without a
 *   valid token, 400 when the client offers subprotocols but not `ca.tap`,
 *   404 for another path. Nothing is said to whom has no token.
 * - `"open"`: upgrade (selecting `protocol`, when set), then send each
 *   {@linkcode TapMessage} of `messages` as a JSON text message, reading
 *   the next only once the socket's send buffer has room; close with 1000
 *   when `messages` ends (the connector stopped).
 * - `"close"`: upgrade, send `{ "error": { "code", "message" } }`, then
 *   close with `code` and `reason` (which a browser sees, unlike an HTTP
 *   answer to its upgrade): 4400 for a missing `stage` or a bad `sample`,
 *   4404 for an unknown connector or stage, 4409 when the connector is not
 *   running or the stage cannot be tapped, 4503 while the host starts or
 *   after it stopped.
 *
 * @example Answer an upgrade in a test, without a socket
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorRunner, TapUpgrade } from "@ca/streams/host";
 *
 * const runner: ConnectorRunner = {
 *   check: () => Promise.resolve([]),
 *   start: () => { throw new Error("not in this example"); },
 *   reset: () => Promise.resolve(),
 * };
 * const host = new ConnectorHost({ definitions: memoryDefinitionStore(), runner, tokens: { viewer: ["v-token"] } });
 * await host.start();
 * const answer: TapUpgrade = await host.tapRequest(new Request("http://host/connectors/orders/tap?stage=clean", {
 *   headers: { upgrade: "websocket", "sec-websocket-protocol": "ca.tap, ca.token.v-token" },
 * }));
 * if (answer.action !== "close" || answer.code !== 4404 || answer.protocol !== "ca.tap") {
 *   throw new Error(`unexpected ${answer.action}`);
 * }
 * await host.stop();
 * ```
 */
export type TapUpgrade =
  | {
    action: "refuse";
    /** The HTTP answer, with a JSON error body. */
    response: Response;
  }
  | {
    action: "open";
    /** The subprotocol to select: `"ca.tap"` when the client offered it. */
    protocol: string | undefined;
    /** The tap; cancel it when the socket closes. */
    messages: ReadableStream<TapMessage>;
  }
  | {
    action: "close";
    /** The subprotocol to select: `"ca.tap"` when the client offered it. */
    protocol: string | undefined;
    /** The close code: 4000 plus the HTTP status the error has. */
    code: number;
    /** The close reason: the message, cut to 123 bytes of UTF-8. */
    reason: string;
    /** The error, to send as `{ "error": error }` before closing. */
    error: { code: HostErrorCode; message: string };
  };
