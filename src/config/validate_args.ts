// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "../errors/describe_error.ts";
import type { ConfigIssue } from "./config_issue.ts";
import { toConfigIssues } from "./schema_issues.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/** What {@linkcode validateArgs} returns. */
export type ArgsValidation<Args> =
  | { ok: true; value: Args }
  | { ok: false; issues: ConfigIssue[] };

/** Options for {@linkcode validateArgs}. */
export interface ValidateArgsOptions {
  /** The JSON pointer of the args in the config, such as `/processors/2/args`. */
  path: string;
  /** Renders a received value at a pointer in issues. */
  describe?: (pointer: string, value: unknown) => string;
}

/**
 * Validates args with a definition's Standard Schema: a processor's
 * `args`, a store's `checkpoint.store` without `type`, a channel's `args`.
 * `null` and `undefined` args count as `{}`.
 *
 * @typeParam Args The args after validation.
 * @param definition The definition (of any kind): its name and args schema.
 * @param args The args as written in the config.
 * @param options `path`: where the args are, for the issues' paths.
 * @returns The schema's output, or the issues (prefixed with `path`).
 *
 * @example Validate take's args
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import { validateArgs } from "./validate_args.ts";
 *
 * const take = new Registry(builtinDefinitions()).processor("take")!;
 * const result = await validateArgs(take, { count: -1 }, {
 *   path: "/processors/1/args",
 * });
 * if (result.ok) throw new Error("expected issues");
 * console.log(result.issues[0]!.path); // "/processors/1/args/count"
 * ```
 */
export async function validateArgs<Args>(
  definition: {
    readonly name: string;
    readonly args: StandardSchemaV1<unknown, Args>;
  },
  args: unknown,
  options: ValidateArgsOptions,
): Promise<ArgsValidation<Args>> {
  const input = args ?? {};
  const standard = definition.args["~standard"];
  let result;
  try {
    result = await standard.validate(input);
  } catch (error) {
    return {
      ok: false,
      issues: [{
        path: options.path,
        message: `cannot validate the args of "${definition.name}": ${
          describeError(error)
        }`,
      }],
    };
  }
  if (result.issues === undefined) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: toConfigIssues(result.issues, standard.vendor, {
      base: options.path,
      input,
      schema: definition.args,
      ...(options.describe === undefined ? {} : { describe: options.describe }),
    }),
  };
}
