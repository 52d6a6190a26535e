// Copyright 2026 the @ca/streams authors. MIT license.
// The reading process of the cross-runtime channel test: a channel reader
// on TCP port $CA_CHANNEL_PORT writing every record to $CA_CHANNEL_OUTPUT.
// Runs on Node (or Deno); ends when the writer closes the stream.
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { tcpListen } from "../../connectors/channel_tcp/mod.ts";
import { fileSink } from "../../connectors/file/mod.ts";

const env = (name: string): string => {
  const value = (globalThis as {
    process?: { env: Record<string, string | undefined> };
    Deno?: { env: { get(name: string): string | undefined } };
  }).process?.env[name] ??
    (globalThis as {
      Deno?: { env: { get(name: string): string | undefined } };
    })
      .Deno?.env.get(name);
  if (value === undefined) {
    throw new Error(`Cannot start reader: ${name} is not set`);
  }
  return value;
};

const listener = await tcpListen({ port: Number(env("CA_CHANNEL_PORT")) });
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
