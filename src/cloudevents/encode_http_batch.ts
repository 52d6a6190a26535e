// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CloudEvent } from "./cloud_event.ts";
import type { CloudEventIssue } from "./cloud_event_error.ts";
import { invalidEvents } from "./check_event.ts";
import type { CloudEventsHttpMessage } from "./http_message.ts";
import { toJsonMember } from "./json_format.ts";

/** The `Content-Type` of a batched-mode message. */
const BATCH = "application/cloudevents-batch+json; charset=utf-8";

/**
 * Encodes events in HTTP batched mode: a JSON array of events in the JSON
 * event format, `Content-Type: application/cloudevents-batch+json;
 * charset=utf-8`. The array may be empty. The spec allows this mode only
 * where the receiver asked for it.
 *
 * @param events The events; each is checked first.
 * @returns The headers and body, ready for a `Request` or `Response`.
 * @throws {CloudEventError} When an event is invalid; issue paths start with its index.
 *
 * @example Two events in one body
 * ```ts
 * import { encodeHttpBatch } from "@ca/streams/cloudevents";
 *
 * const event = { specversion: "1.0", source: "/s", type: "t" } as const;
 * const { body } = encodeHttpBatch([{ ...event, id: "1" }, { ...event, id: "2" }]);
 * if (JSON.parse(body as string).length !== 2) throw new Error("unexpected");
 * ```
 */
export function encodeHttpBatch(
  events: readonly CloudEvent[],
): CloudEventsHttpMessage {
  if (!Array.isArray(events)) {
    throw new TypeError(
      `Cannot encode CloudEvents batch: events must be an array, got ${
        events === null ? "null" : typeof events
      }`,
    );
  }
  const issues: CloudEventIssue[] = [];
  const members = new Array<object>(events.length);
  for (let i = 0; i < events.length; i++) {
    members[i] = toJsonMember(events[i]!, [i], issues);
  }
  if (issues.length > 0) throw invalidEvents(issues, "encode");
  return {
    headers: new Headers({ "content-type": BATCH }),
    body: JSON.stringify(members),
  };
}
