// Copyright 2026 the @ca/streams authors. MIT license.
// The writing process of the cross-runtime channel test: sends records
// 0..$CA_CHANNEL_RECORDS-1 to a channel reader on port $CA_CHANNEL_PORT,
// over $CA_CHANNEL_TRANSPORT ("tcp", the default, or "ws": a WebSocket at
// /cross), reconnecting whenever the reader goes away. Runs on Deno (or
// Node).
import { pipeline } from "@ca/streams";
import { channelWriter } from "@ca/streams/channel";
import { tcpConnect } from "@ca/streams/channel-tcp";
import { wsConnect } from "@ca/streams/channel-ws";

/** An environment variable, on Node or Deno. */
const lookup = (name: string): string | undefined =>
  (globalThis as {
    process?: { env: Record<string, string | undefined> };
  }).process?.env[name] ??
    (globalThis as {
      Deno?: { env: { get(name: string): string | undefined } };
    }).Deno?.env.get(name);

const env = (name: string): string => {
  const value = lookup(name);
  if (value === undefined) {
    throw new Error(`Cannot start writer: ${name} is not set`);
  }
  return value;
};

const port = Number(env("CA_CHANNEL_PORT"));
const transport = lookup("CA_CHANNEL_TRANSPORT") ?? "tcp";
const connect = transport === "ws"
  ? (signal: AbortSignal) =>
    wsConnect(`ws://127.0.0.1:${port}/cross`, { signal })
  : (signal: AbortSignal) => tcpConnect({ port }, { signal });
const records = Number(env("CA_CHANNEL_RECORDS"));
function* rows() {
  for (let id = 0; id < records; id++) yield { id, text: `record ${id}` };
}
const summary = await pipeline(
  rows(),
  channelWriter(connect, {
    stream: "cross",
    token: env("CA_CHANNEL_TOKEN"),
    batchRecords: Number(env("CA_CHANNEL_BATCH")),
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  }),
  { batchSize: Number(env("CA_CHANNEL_BATCH")) },
);
console.log(JSON.stringify(summary));
