// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "../errors/describe_error.ts";
import type { BearerTokens } from "./_bearer_tokens.ts";
import { HostError } from "./_host_error.ts";
import type { HostErrorCode } from "./host_error_code.ts";
import type { TapMessage } from "./tap_message.ts";
import type { TapOptions } from "./tap_options.ts";
import type { TapUpgrade } from "./tap_upgrade.ts";

/** The subprotocol of the tap, which the server selects. */
export const TAP_PROTOCOL = "ca.tap";
/** The prefix of the subprotocol that carries a token: `ca.token.TOKEN`. */
export const TOKEN_PROTOCOL_PREFIX = "ca.token.";
/** The longest close reason the WebSocket protocol allows, in bytes. */
const MAX_REASON_BYTES = 123;

/** What answering a tap request needs of the host. */
export interface TapRequestContext {
  tokens: BearerTokens | undefined;
  /** Why the host takes no tap now (starting, stopped), or undefined. */
  unavailable(doing: string): HostError | undefined;
  tap(
    id: string,
    stage: string,
    options: TapOptions,
  ): Promise<ReadableStream<TapMessage>>;
}

/** `text` cut to at most `max` bytes of UTF-8, on a character boundary. */
export function cutToBytes(text: string, max = MAX_REASON_BYTES): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= max) return text;
  let cut = "";
  let bytes = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (bytes + size > max - 3) break;
    cut += char;
    bytes += size;
  }
  return `${cut}...`;
}

/** `sample=10` (every 10th record) or `sample=50/s` (at most 50 a second). */
function parseSample(value: string | null, doing: string): TapOptions {
  if (value === null || value === "") return {};
  const every = /^[0-9]{1,9}$/.exec(value);
  if (every !== null && Number(value) >= 1) return { every: Number(value) };
  const rate = /^([0-9]{1,6}(?:\.[0-9]{1,3})?)\/s$/.exec(value);
  if (rate !== null && Number(rate[1]) > 0 && Number(rate[1]) <= 100_000) {
    return { perSecond: Number(rate[1]) };
  }
  throw new HostError(
    "CA_ERR_HOST_BAD_REQUEST",
    `Cannot ${doing}: sample must be N (every Nth record, N at least 1) or N/s (at most N records a second, up to 100000), got ${
      JSON.stringify(value)
    }`,
  );
}

/** The path's connector id, for `/connectors/{id}/tap`; else undefined. */
function tapPath(pathname: string): string | undefined {
  const match = /^\/connectors\/([^/]+)\/tap$/.exec(pathname);
  if (match === null) return undefined;
  try {
    const id = decodeURIComponent(match[1]!);
    return id === "" ? undefined : id;
  } catch {
    return undefined;
  }
}

function refusal(error: HostError): TapUpgrade {
  return {
    action: "refuse",
    response: new Response(JSON.stringify(error.body()), {
      status: error.status,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        ...error.headers,
      },
    }),
  };
}

/**
 * Decides how to answer a WebSocket upgrade request for the tap (see
 * {@linkcode TapUpgrade}): the path, the token (the `Authorization` header,
 * else a `ca.token.TOKEN` subprotocol; any role), the subprotocol to
 * select, the query (`stage`, `sample`), then the tap itself.
 */
export async function answerTapRequest(
  request: Request,
  context: TapRequestContext,
): Promise<TapUpgrade> {
  const url = new URL(request.url);
  const id = tapPath(url.pathname);
  if (id === undefined) {
    return refusal(
      new HostError(
        "CA_ERR_HOST_NOT_FOUND",
        `Cannot upgrade ${url.pathname}: the only WebSocket endpoint is GET /connectors/{id}/tap`,
      ),
    );
  }
  let doing = `tap connector "${id}"`;
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((protocol) => protocol.trim()).filter((protocol) =>
      protocol !== ""
    );
  if (context.tokens !== undefined) {
    const carried = offered.find((protocol) =>
      protocol.startsWith(TOKEN_PROTOCOL_PREFIX)
    )?.slice(TOKEN_PROTOCOL_PREFIX.length);
    const header = request.headers.get("authorization") ??
      (carried ? `Bearer ${carried}` : null);
    const role = await context.tokens.roleOf(header);
    if (role === "none" || role === "unknown") {
      return refusal(
        new HostError(
          "CA_ERR_HOST_UNAUTHORIZED",
          role === "none"
            ? `Cannot ${doing}: the request has no token (send Authorization: Bearer TOKEN, or the subprotocols ${TAP_PROTOCOL} and ${TOKEN_PROTOCOL_PREFIX}TOKEN)`
            : `Cannot ${doing}: the token is not valid`,
          {
            headers: {
              "www-authenticate": role === "none"
                ? 'Bearer realm="ca"'
                : 'Bearer realm="ca", error="invalid_token"',
            },
          },
        ),
      );
    }
  }
  if (request.method.toUpperCase() !== "GET") {
    return refusal(
      new HostError(
        "CA_ERR_HOST_METHOD_NOT_ALLOWED",
        `Cannot ${doing}: a WebSocket upgrade is a GET, got ${request.method}`,
        { headers: { allow: "GET" } },
      ),
    );
  }
  if (offered.length > 0 && !offered.includes(TAP_PROTOCOL)) {
    return refusal(
      new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: offer the subprotocol ${TAP_PROTOCOL} (with ${TOKEN_PROTOCOL_PREFIX}TOKEN, or none at all)`,
      ),
    );
  }
  const protocol = offered.length > 0 ? TAP_PROTOCOL : undefined;
  try {
    const unavailable = context.unavailable(doing);
    if (unavailable !== undefined) throw unavailable;
    const stage = url.searchParams.get("stage");
    if (stage === null || stage === "") {
      throw new HostError(
        "CA_ERR_HOST_BAD_REQUEST",
        `Cannot ${doing}: name the stage to tap: ?stage=NAME (a processor or source of its config)`,
      );
    }
    doing = `tap stage "${stage}" of connector "${id}"`;
    const options = parseSample(url.searchParams.get("sample"), doing);
    const messages = await context.tap(id, stage, options);
    return { action: "open", protocol, messages };
  } catch (error) {
    const hostError = error instanceof HostError ? error : new HostError(
      "CA_ERR_HOST_INTERNAL",
      `Cannot ${doing}: ${describeError(error)}`,
    );
    const code: HostErrorCode = hostError.code;
    return {
      action: "close",
      protocol,
      code: 4000 + hostError.status,
      reason: cutToBytes(hostError.message),
      error: { code, message: hostError.message },
    };
  }
}
