// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The Standard Schema v1 interface (https://standardschema.dev): what zod,
 * Valibot, ArkType and other schema libraries implement, so a processor's
 * `args` can be any of them. Written from the spec; no library is imported.
 *
 * @typeParam Input What the schema accepts.
 * @typeParam Output What validation returns.
 *
 * @example Validate with any Standard Schema
 * ```ts
 * import type { StandardSchemaV1 } from "@ca/streams/config";
 *
 * const positive: StandardSchemaV1<unknown, number> = {
 *   "~standard": {
 *     version: 1,
 *     vendor: "example",
 *     validate: (value) =>
 *       typeof value === "number" && value > 0
 *         ? { value }
 *         : { issues: [{ message: "expected a positive number" }] },
 *   },
 * };
 * const result = await positive["~standard"].validate(-1);
 * if (result.issues === undefined) throw new Error("expected an issue");
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

/**
 * The parts of {@linkcode StandardSchemaV1}, named as in the spec:
 * `StandardSchemaV1.Issue`, `StandardSchemaV1.InferOutput<S>` and so on.
 */
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version of the standard: 1. */
    readonly version: 1;
    /** The schema library, such as `"zod"` or `"valibot"`. */
    readonly vendor: string;
    /** Validates an unknown value; may return a promise. */
    readonly validate: (
      value: unknown,
      options?: Options | undefined,
    ) => Result<Output> | Promise<Result<Output>>;
    /** The input and output types, for inference only. */
    readonly types?: Types<Input, Output> | undefined;
  }

  /** What `validate` returns. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;

  /** A successful validation. */
  export interface SuccessResult<Output> {
    /** The typed output value. */
    readonly value: Output;
    /** No issues: success. */
    readonly issues?: undefined;
  }

  /** Options for `validate`. */
  export interface Options {
    /** Vendor-specific parameters. */
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }

  /** A failed validation. */
  export interface FailureResult {
    /** What is wrong, one issue each. */
    readonly issues: ReadonlyArray<Issue>;
  }

  /** One thing wrong with the value. */
  export interface Issue {
    /** The message. */
    readonly message: string;
    /** Where in the value, when not at the top. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }

  /** A path segment given as an object. */
  export interface PathSegment {
    /** The key of the segment. */
    readonly key: PropertyKey;
  }

  /** The input and output types of a schema. */
  export interface Types<Input = unknown, Output = Input> {
    /** The input type. */
    readonly input: Input;
    /** The output type. */
    readonly output: Output;
  }

  /** The input type of a schema. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<
    Schema["~standard"]["types"]
  >["input"];

  /** The output type of a schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema["~standard"]["types"]
  >["output"];
}
