// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// The structure of a config file, in zod/mini: the core is bundled into
// workers, and zod/mini costs a few KB where classic zod costs about 90.
import * as z from "zod/mini";
import type { ConfigIssue } from "./config_issue.ts";
import { toConfigIssues } from "./schema_issues.ts";
import type { CheckpointConfig, RunnerConfig } from "./pipeline_config.ts";

/** A config file as the structure allows it, before normalization. */
export interface ConfigShape {
  /** Only 1. */
  version?: 1;
  /** The pipeline id. */
  id: string;
  /** The runners, by name. */
  runners: Record<string, RunnerConfig>;
  /** Modules of definitions. */
  modules?: string[];
  /** The checkpoint. */
  checkpoint?: CheckpointConfig;
  /** Where a connector host of a cluster may run it. */
  placement?: { labels?: string[] };
  /** How many instances a cluster runs. */
  parallelism?: number;
  /** The processors, as written. */
  processors: {
    name: string;
    use: string;
    runner?: string;
    from?: string | string[];
    args?: unknown;
  }[];
  /** The channels, as written. */
  channels?: {
    from: string;
    to: string;
    transport?: string;
    host?: string;
    port?: number;
    token?: string;
    args?: unknown;
  }[];
}

/** A pipeline id or a runner name. */
export const ID_PATTERN: RegExp = /^[A-Za-z0-9._-]{1,100}$/;
/** A processor name. */
export const PROCESSOR_NAME_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/** Words for the patterns above, in "expected ..." messages. */
export const PATTERN_WORDS: ReadonlyMap<string, string> = new Map([
  [ID_PATTERN.source, "1-100 characters of A-Z a-z 0-9 . _ -"],
  [
    PROCESSOR_NAME_PATTERN.source,
    "a letter or _, then up to 99 characters of A-Z a-z 0-9 _ -",
  ],
]);

/** The runtimes. */
export const RUNTIMES = ["deno", "node", "python"] as const;

const text = z.string().check(z.minLength(1));
const count = z.int().check(z.minimum(1));

const runner = z.strictObject({
  runtime: z.enum(RUNTIMES),
  executable: z.optional(text),
  script: z.optional(text),
});

// Store types and transports come from the registry, which modules extend:
// the structure only wants a name here; parsePipelineConfig() checks the
// name and the args against the registered definition.
const store = z.looseObject({ type: text });

const processor = z.strictObject({
  name: z.string().check(z.regex(PROCESSOR_NAME_PATTERN)),
  use: text,
  runner: z.optional(z.string()),
  from: z.optional(z.union([text, z.array(text).check(z.minLength(1))])),
  args: z.optional(z.unknown()),
});

const channel = z.strictObject({
  from: text,
  to: text,
  transport: z.optional(text),
  host: z.optional(text),
  port: z.optional(z.int().check(z.minimum(0), z.maximum(65535))),
  token: z.optional(z.string()),
  args: z.optional(z.unknown()),
});

const configSchema = z.strictObject({
  version: z.optional(z.literal(1)),
  id: z.string().check(z.regex(ID_PATTERN)),
  runners: z.record(z.string().check(z.regex(ID_PATTERN)), runner),
  modules: z.optional(z.array(text)),
  checkpoint: z.optional(z.strictObject({
    store,
    everyRecords: z.optional(count),
    everyMs: z.optional(count),
    maxUncommittedRecords: z.optional(count),
  })),
  placement: z.optional(z.strictObject({
    labels: z.optional(z.array(text)),
  })),
  parallelism: z.optional(z.int().check(z.minimum(1), z.maximum(64))),
  processors: z.array(processor).check(z.minLength(2)),
  channels: z.optional(z.array(channel)),
});

/** JSON pointers of numbers a `${VAR}` may fill (as text) in the structure. */
export const NUMERIC_PATHS: RegExp =
  /^\/(?:version|parallelism|checkpoint\/(?:everyRecords|everyMs|maxUncommittedRecords)|channels\/\d+\/port)$/;

/**
 * Checks the structure of a config (types, required and unknown keys):
 * the semantic rules (references, kinds, args) come after.
 *
 * @param data The parsed config, after environment substitution.
 * @param describe Renders a received value at a pointer.
 * @returns The typed value, or the issues.
 */
export function checkStructure(
  data: unknown,
  describe: (pointer: string, value: unknown) => string,
): { ok: true; value: ConfigShape } | { ok: false; issues: ConfigIssue[] } {
  const result = z.safeParse(configSchema, data);
  if (result.success) return { ok: true, value: result.data as ConfigShape };
  return {
    ok: false,
    issues: toConfigIssues(result.error.issues, "zod", {
      base: "",
      input: data,
      schema: configSchema,
      describe,
      patternWords: PATTERN_WORDS,
    }),
  };
}
