// Copyright 2026 the @ca/streams authors. MIT license.
// The writing process of the cross-runtime channel test: sends records
// 0..$CA_CHANNEL_RECORDS-1 to a channel reader on TCP port $CA_CHANNEL_PORT,
// reconnecting whenever the reader goes away. Runs on Deno (or Node).
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import { tcpConnect } from "../../connectors/channel_tcp/mod.ts";

const env = (name: string): string => {
  const value = (globalThis as {
    process?: { env: Record<string, string | undefined> };
  }).process?.env[name] ??
    (globalThis as {
      Deno?: { env: { get(name: string): string | undefined } };
    })
      .Deno?.env.get(name);
  if (value === undefined) {
    throw new Error(`Cannot start writer: ${name} is not set`);
  }
  return value;
};

const port = Number(env("CA_CHANNEL_PORT"));
const records = Number(env("CA_CHANNEL_RECORDS"));
function* rows() {
  for (let id = 0; id < records; id++) yield { id, text: `record ${id}` };
}
const summary = await pipeline(
  rows(),
  channelWriter(() => tcpConnect({ port }), {
    stream: "cross",
    token: env("CA_CHANNEL_TOKEN"),
    batchRecords: Number(env("CA_CHANNEL_BATCH")),
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  }),
  { batchSize: Number(env("CA_CHANNEL_BATCH")) },
);
console.log(JSON.stringify(summary));
