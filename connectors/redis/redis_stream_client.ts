// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The one method of a Redis client the Redis Streams connectors use: a
 * connected client of the `redis` package (node-redis 5 or 6,
 * `createClient()`) fits. Arguments are text, or bytes for binary values
 * (node-redis wants them as a `Buffer`, which is a `Uint8Array`); replies
 * must be plain RESP2 or RESP3 (no type mapping of arrays).
 *
 * @example A stand-in client, as a unit test injects one
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { redisStreamSink } from "@ca/streams/redis";
 * import type { RedisStreamClient } from "@ca/streams/redis";
 *
 * const sent: string[] = [];
 * const client: RedisStreamClient = {
 *   async sendCommand(args) {
 *     sent.push(args.map(String).join(" "));
 *     return `1700000000000-${sent.length - 1}`; // the id XADD replies with
 *   },
 * };
 * await pipeline([{ n: 1 }], redisStreamSink({ client, stream: "numbers" }));
 * if (sent[0] !== 'XADD numbers * value {"n":1}') throw new Error(`unexpected ${sent}`);
 * ```
 */
export interface RedisStreamClient {
  /**
   * Sends one command, such as `["XACK", stream, group, id]`, and resolves
   * to its reply. `typeMapping` asks node-redis for bulk strings as bytes
   * (the `"bytes"` and `"cloudevents"` formats); a stand-in may ignore it.
   */
  sendCommand(
    args: ReadonlyArray<string | Uint8Array>,
    options?: { abortSignal?: AbortSignal; typeMapping?: object },
  ): Promise<unknown>;
}
