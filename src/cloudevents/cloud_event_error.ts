// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One thing wrong with a CloudEvent, as data: where (`path`), what was
 * expected and what was received.
 *
 * @example Report each issue of an invalid event
 * ```ts
 * import { validateCloudEvent } from "@ca/streams/cloudevents";
 * import type { CloudEventIssue } from "@ca/streams/cloudevents";
 *
 * const issues: CloudEventIssue[] = validateCloudEvent({
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/s",
 *   type: "",
 * });
 * const [issue] = issues;
 * if (issue?.path.join(".") !== "type" || !issue.message.includes(issue.expected)) {
 *   throw new Error(`unexpected ${JSON.stringify(issues)}`);
 * }
 * ```
 */
export interface CloudEventIssue {
  /**
   * Where the problem is: the attribute name (`["type"]`), prefixed with the
   * event's index in a batch (`[3, "time"]`); empty for the whole message.
   */
  path: (string | number)[];
  /** What the spec requires there, such as `"a non-empty string"`. */
  expected: string;
  /** A short rendering of what was there, such as `'""'` or `"undefined"`. */
  received: string;
  /** `path`, `expected` and `received` in one sentence. */
  message: string;
}

/**
 * Thrown when a CloudEvent or a CloudEvents HTTP message breaks the spec:
 * an invalid attribute, unparsable JSON, an unsupported content type or a
 * body over the limit. `issues` names each bad attribute; `status` is the
 * HTTP status a receiver answers with (400, 413 or 415).
 *
 * @example Name the bad attribute
 * ```ts
 * import { CloudEventError, parseCloudEvent } from "@ca/streams/cloudevents";
 *
 * try {
 *   parseCloudEvent({ specversion: "1.0", id: "1", source: "/s", type: "" });
 *   throw new Error("expected a CloudEventError");
 * } catch (error) {
 *   if (!(error instanceof CloudEventError)) throw error;
 *   const [issue] = error.issues;
 *   if (issue?.path[0] !== "type" || error.status !== 400) throw error;
 * }
 * ```
 */
export class CloudEventError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_CLOUDEVENT" = "CA_ERR_CLOUDEVENT";
  /** What is wrong, attribute by attribute; may be empty (a size limit). */
  readonly issues: CloudEventIssue[];
  /** The HTTP status for a receiver's answer: 400, 413 or 415. */
  readonly status: 400 | 413 | 415;

  /**
   * Creates a CloudEvents error.
   *
   * @param message The whole message, "Cannot X: reason".
   * @param issues The issues behind it.
   * @param options `status` (default 400) and `cause`.
   */
  constructor(
    message: string,
    issues: CloudEventIssue[] = [],
    options: { status?: 400 | 413 | 415; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CloudEventError";
    this.issues = issues;
    this.status = options.status ?? 400;
  }

  /** The JSON a receiver answers with: code, message and issues. */
  toJSON(): {
    code: "CA_ERR_CLOUDEVENT";
    message: string;
    issues: CloudEventIssue[];
  } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}
