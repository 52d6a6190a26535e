// Copyright 2026 the @ca/streams authors. MIT license.
// The reading process of the cross-runtime channel test: a channel reader
// on port $CA_CHANNEL_PORT, over $CA_CHANNEL_TRANSPORT ("tcp", the default,
// or "ws": a WebSocket at /cross), writing every record to
// $CA_CHANNEL_OUTPUT. Runs on Node (or Deno); ends when the writer closes
// the stream.
import { pipeline } from "@ca/streams";
import { channelReader } from "@ca/streams/channel";
import { tcpListen } from "@ca/streams/channel-tcp";
import { wsListen } from "@ca/streams/channel-ws";
import { fileSink } from "@ca/streams/file";

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
    throw new Error(`Cannot start reader: ${name} is not set`);
  }
  return value;
};

const transport = lookup("CA_CHANNEL_TRANSPORT") ?? "tcp";
const port = Number(env("CA_CHANNEL_PORT"));
const listener = transport === "ws"
  ? await wsListen({ port, path: "/cross" })
  : await tcpListen({ port });
console.log(`listening ${listener.port}`);
const summary = await pipeline(
  channelReader(listener, {
    stream: "cross",
    token: env("CA_CHANNEL_TOKEN"),
    window: Number(env("CA_CHANNEL_WINDOW")),
  }),
  fileSink(env("CA_CHANNEL_OUTPUT")),
);
console.log(JSON.stringify(summary));
