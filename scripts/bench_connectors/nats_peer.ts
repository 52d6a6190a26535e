/**
 * The other end of the core NATS rows, in a process of its own (so that
 * its work does not share a core with what is measured): a publisher for
 * `nats-source` and a counting subscriber for `nats-sink`, steered over
 * NATS itself.
 *
 * Usage: `nats_peer.ts --url URL --subject S --records N`; prints `ready`
 * once subscribed. On `S.ctl` it takes:
 *
 * - `start`: publishes markers (`{"id":-1}`) on `S.in` every 2 ms until an
 *   `allow:<k>` comes, then records 0..N-1 on `S.in`, never beyond the last
 *   `k` allowed: the reader grants records as it counts them, so nothing
 *   piles up in front of it (core NATS would drop, or a source its oldest).
 * - `allow:<k>`: records up to `k` (exclusive) may be published.
 * - `count` (a request): answers `<count>,<sum>` (of the ids) of what
 *   arrived on `S.out` since the last `reset`.
 * - `reset`: forgets the count.
 *
 * @module
 */

import process from "node:process";
import { connect } from "@nats-io/transport-node";
import { makePayloads, MARKER_ID, Tally } from "./records.ts";

function option(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : process.argv[at + 1];
  if (value === undefined) {
    throw new TypeError(`Cannot run: --${name} is missing`);
  }
  return value;
}

const url = option("url");
const subject = option("subject");
const records = Number(option("records"));
const payloads = makePayloads(records);
const marker = JSON.stringify({ id: MARKER_ID, value: "marker" });

const nc = await connect({ servers: url });
let allowed = 0;
let running = false;
let wake: (() => void) | undefined;
let tally = new Tally();

async function publish(): Promise<void> {
  running = true;
  allowed = 0;
  while (allowed === 0) {
    nc.publish(`${subject}.in`, marker);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  let next = 0;
  while (next < records) {
    if (next >= allowed) {
      await new Promise<void>((resolve) => wake = resolve);
      continue;
    }
    const end = Math.min(allowed, records);
    for (; next < end; next++) nc.publish(`${subject}.in`, payloads[next]!);
    // Let the client write it out and read the next grant.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await nc.flush();
  running = false;
}

nc.subscribe(`${subject}.ctl`, {
  callback(error, msg) {
    if (error) return;
    const text = msg.string();
    if (text === "start") {
      if (!running) void publish();
    } else if (text.startsWith("allow:")) {
      allowed = Math.max(allowed, Number(text.slice(6)));
      const resolve = wake;
      wake = undefined;
      resolve?.();
    } else if (text === "count") {
      msg.respond(`${tally.count},${tally.sum}`);
    } else if (text === "reset") {
      tally = new Tally();
    }
  },
});
// Counting costs this process little: the id is read off the JSON text
// (`{"id":N,...}`, as JSON.stringify writes a record) rather than parsed.
nc.subscribe(`${subject}.out`, {
  callback(error, msg) {
    if (error) return;
    const text = msg.string();
    tally.count++;
    tally.sum += Number(text.slice(6, text.indexOf(",", 6)));
  },
});
await nc.flush();
console.log("ready");
