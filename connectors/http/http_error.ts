// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * An HTTP exchange that failed: a status that is not 2xx, or no answer at
 * all (`status` is `undefined`, the network error is the `cause`), after
 * `attempts` tries. {@linkcode httpSink} throws it for a record the server
 * refused (4xx other than 408 and 429: the pipeline's dead letter takes the
 * record) and for a server that kept failing; {@linkcode httpPollSource}
 * for a poll that kept failing. The URL has no user info.
 *
 * @example What a refused record's dead letter says
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import type { DeadLetter } from "@ca/streams";
 * import { HttpError, httpSink } from "@ca/streams/http";
 *
 * const sink = httpSink<{ n: number }>("http://localhost/orders", {
 *   fetch: async (request) => {
 *     const { n } = await request.json();
 *     return new Response("n must be even", { status: n % 2 === 0 ? 201 : 422 });
 *   },
 * });
 * const dead = collect<DeadLetter>();
 * await pipeline([{ n: 2 }, { n: 3 }], sink, { deadLetter: dead });
 * const error = dead.records[0]?.error;
 * if (!(error instanceof HttpError) || error.status !== 422 || error.code !== "CA_ERR_HTTP") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class HttpError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_HTTP" = "CA_ERR_HTTP";
  /** The URL (without user info). */
  readonly url: string;
  /** The last status, or `undefined` when no answer came. */
  readonly status: number | undefined;
  /** How many attempts were made. */
  readonly attempts: number;
  /** The start of the last answer's body (at most 200 characters). */
  readonly body: string;

  /**
   * Creates the error.
   *
   * @param action What could not be done, such as `"send a record"`.
   * @param url The URL, without user info.
   * @param status The last status, or `undefined`.
   * @param attempts How many attempts were made.
   * @param body The start of the last answer's body.
   * @param options The `cause`: the network error, when no answer came.
   */
  constructor(
    action: string,
    url: string,
    status: number | undefined,
    attempts: number,
    body: string,
    options?: ErrorOptions,
  ) {
    const what = status === undefined
      ? `no answer from ${url}${
        options?.cause instanceof Error ? ` (${options.cause.message})` : ""
      }`
      : `${url} answered ${status}${body === "" ? "" : `: ${body}`}`;
    super(
      `Cannot ${action}: ${what}${
        attempts > 1 ? ` after ${attempts} attempts` : ""
      }`,
      options,
    );
    this.name = "HttpError";
    this.url = url;
    this.status = status;
    this.attempts = attempts;
    this.body = body;
  }
}
