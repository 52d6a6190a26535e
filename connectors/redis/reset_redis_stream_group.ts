// Copyright 2026 the @ca/streams authors. MIT license.

import { checkConnection, RedisLink } from "./redis_link.ts";
import type { RedisStreamConnection } from "./redis_stream_connection.ts";

/**
 * Options for {@linkcode resetRedisStreamGroup}.
 *
 * @example Replay a stream from its start
 * ```ts
 * import type { ResetRedisStreamGroupOptions } from "@ca/streams/redis";
 *
 * const options: ResetRedisStreamGroupOptions = {
 *   url: "redis://127.0.0.1:6379",
 *   stream: "orders",
 *   group: "billing",
 *   to: "start",
 * };
 * if (options.to !== "start") throw new Error("unexpected");
 * ```
 */
export interface ResetRedisStreamGroupOptions extends RedisStreamConnection {
  /** The stream's key. */
  stream: string;
  /** The consumer group to move (created there when missing). */
  group: string;
  /**
   * Where the group goes: `"start"` (every entry is read again), `"end"`
   * (only entries added from now on), or an entry id such as
   * `"1700000000000-0"` (the entries after it).
   */
  to: "start" | "end" | string;
}

// SETID, or CREATE when the group or the stream is missing; then every
// pending entry of the group is acknowledged, so that it is read again
// only when it comes after the new position. One script: atomic.
const RESET =
  `local ok = pcall(redis.call, 'XGROUP', 'SETID', KEYS[1], ARGV[1], ARGV[2])
if not ok then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
  return 0
end
local dropped = 0
while true do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000)
  if #pending == 0 then break end
  local ids = {}
  for i, entry in ipairs(pending) do ids[i] = entry[1] end
  dropped = dropped + redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
end
return dropped`;

/**
 * Moves a consumer group of a Redis stream, as a reset of
 * {@linkcode redisStreamSource} (whose position lives in the group, not
 * in a checkpoint store): `XGROUP SETID` to `to`, and the group's pending
 * entries are dropped (acknowledged), so that the next run reads exactly
 * the entries after the new position. Creates the group there (and the
 * stream) when missing. Run it while no reader of the group runs; one Lua
 * script, so it is atomic.
 *
 * @param options The connection, `stream`, `group` and `to`.
 * @returns How many pending entries were dropped.
 *
 * @example Read a stream again from its start
 * ```ts ignore
 * import { resetRedisStreamGroup } from "@ca/streams/redis";
 *
 * const dropped = await resetRedisStreamGroup({
 *   url: "redis://127.0.0.1:6379",
 *   stream: "orders",
 *   group: "billing",
 *   to: "start",
 * });
 * console.log(`reset; ${dropped} pending entries dropped`);
 * ```
 *
 * @example The script a stand-in client receives
 * ```ts
 * import { resetRedisStreamGroup } from "@ca/streams/redis";
 *
 * const sent: string[][] = [];
 * const client = {
 *   async sendCommand(args: Array<string | Uint8Array>) {
 *     sent.push(args.map(String));
 *     return 3;
 *   },
 * };
 * const dropped = await resetRedisStreamGroup({ client, stream: "orders", group: "billing", to: "5-0" });
 * const [command, , keys, stream, group, id] = sent[0]!;
 * if (dropped !== 3 || command !== "EVAL" || keys !== "1" || stream !== "orders" || group !== "billing" || id !== "5-0") {
 *   throw new Error(`unexpected ${sent[0]}`);
 * }
 * ```
 */
export async function resetRedisStreamGroup(
  options: ResetRedisStreamGroupOptions,
): Promise<number> {
  const what = "resetRedisStreamGroup()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot run ${what}: options must be an object`);
  }
  checkConnection(what, options);
  for (const name of ["stream", "group"] as const) {
    const value = options[name];
    if (typeof value !== "string" || value === "") {
      throw new TypeError(
        `Cannot run ${what}: ${name} must be a non-empty string, got ${
          value === "" ? "an empty string" : typeof value
        }`,
      );
    }
  }
  const { to } = options;
  let id: string;
  if (to === "start") id = "0";
  else if (to === "end") id = "$";
  else if (typeof to === "string" && /^\d+(-\d+)?$/.test(to)) id = to;
  else {
    throw new TypeError(
      `Cannot run ${what}: to must be "start", "end" or an entry id such as "1700000000000-0", got ${
        JSON.stringify(to)
      }`,
    );
  }
  const link = new RedisLink("redis stream reset", options);
  try {
    const reply = await link.send(
      ["EVAL", RESET, "1", options.stream, options.group, id],
      { retry: false },
    );
    return Number(reply);
  } finally {
    await link.close();
  }
}
