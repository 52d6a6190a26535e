// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeValue } from "../util/describe_value.ts";
import { checkConnectorId } from "./begin_definition_call.ts";
import type { DefinitionEvent } from "./definition_event.ts";
import { DEFINITION_EVENT_TYPES } from "./definition_event_types.ts";
import type { StoredDefinitionEvent } from "./stored_definition_event.ts";

/** `at` as `Date.prototype.toISOString()` writes it, years 0000 to 9999. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The event's fields in the order every store writes them. */
interface EventFields {
  type: string;
  connector: string;
  at: string;
  data: Record<string, unknown>;
}

/**
 * Checks the arguments of `DefinitionStore.append()` and returns each
 * event's JSON (`{"type","connector","at","data"}`, in that order), the
 * form every store keeps. Events are checked for what a host relies on
 * reading back: a known `type`, the stream's `connector`, `at` as
 * `toISOString()` writes it, the `data` the type needs, JSON without the
 * NUL character (which PostgreSQL cannot store).
 *
 * @param connector The connector's id.
 * @param events The events.
 * @param expectedVersion The expected version.
 * @returns The events' JSON, in order.
 * @throws {TypeError} When something has the wrong shape.
 * @throws {RangeError} When `events` is empty or the version is not a
 * non-negative integer.
 */
export function encodeDefinitionEvents(
  connector: string,
  events: readonly DefinitionEvent[],
  expectedVersion: number,
): string[] {
  checkConnectorId(connector, "append to");
  function fail(message: string): never {
    throw new TypeError(
      `Cannot append to connector "${connector}": ${message}`,
    );
  }
  if (typeof expectedVersion !== "number") {
    fail(
      `expectedVersion must be a number (0 for a new stream), got ${
        describeValue(expectedVersion)
      }`,
    );
  }
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new RangeError(
      `Cannot append to connector "${connector}": expectedVersion must be an integer of at least 0 (0 for a new stream), got ${expectedVersion}`,
    );
  }
  if (!Array.isArray(events)) {
    fail(`events must be an array, got ${describeValue(events)}`);
  }
  if (events.length === 0) {
    throw new RangeError(
      `Cannot append to connector "${connector}": events must hold at least one event`,
    );
  }
  return events.map((event, index) => {
    const where = `events[${index}]`;
    if (!isObject(event)) {
      fail(`${where} must be an object, got ${describeValue(event)}`);
    }
    const { type, at, data } = event as unknown as Record<string, unknown>;
    if (!(DEFINITION_EVENT_TYPES as readonly unknown[]).includes(type)) {
      fail(
        `${where}.type must be one of ${
          DEFINITION_EVENT_TYPES.join(", ")
        }, got ${describeValue(type)}`,
      );
    }
    if (event.connector !== connector) {
      fail(
        `${where}.connector must be the stream's id, got ${
          describeValue(event.connector)
        }`,
      );
    }
    if (
      typeof at !== "string" || !ISO_UTC.test(at) ||
      Number.isNaN(Date.parse(at)) || new Date(at).toISOString() !== at
    ) {
      fail(
        `${where}.at must be a UTC time as toISOString() writes it ("2026-03-01T12:00:00.000Z"), got ${
          describeValue(at)
        }`,
      );
    }
    if (!isObject(data)) {
      fail(`${where}.data must be an object, got ${describeValue(data)}`);
    }
    const problem = dataProblem(type as DefinitionEvent["type"], data);
    if (problem !== undefined) fail(`${where}.data${problem}`);
    const fields: EventFields = {
      type: type as string,
      connector,
      at: at as string,
      data: data as Record<string, unknown>,
    };
    let json: string | undefined;
    try {
      json = JSON.stringify(fields, (key, value) => {
        if (
          key.includes("\0") ||
          typeof value === "string" && value.includes("\0")
        ) {
          throw new TypeError("it holds the NUL character");
        }
        return value;
      });
    } catch (error) {
      fail(
        `${where} must be JSON without the NUL character (${
          (error as Error).message
        })`,
      );
    }
    return json as string;
  });
}

/** What is wrong with an event's data for its type, as a path and a reason. */
function dataProblem(
  type: DefinitionEvent["type"],
  data: Record<string, unknown>,
): string | undefined {
  switch (type) {
    case "created":
    case "reconfigured":
      return isObject(data.config)
        ? undefined
        : `.config must be the config, an object, got ${
          describeValue(data.config)
        }`;
    case "failed": {
      const error = data.error;
      if (!isObject(error)) {
        return `.error must be { code, message }, got ${describeValue(error)}`;
      }
      for (const key of ["code", "message"]) {
        if (typeof error[key] !== "string") {
          return `.error.${key} must be a string, got ${
            describeValue(error[key])
          }`;
        }
      }
      return undefined;
    }
    case "recovering":
      if (!Number.isSafeInteger(data.attempt) || (data.attempt as number) < 1) {
        return `.attempt must be an integer of at least 1, got ${
          describeValue(data.attempt)
        }`;
      }
      return Number.isFinite(data.delayMs) && (data.delayMs as number) >= 0
        ? undefined
        : `.delayMs must be a number of at least 0, got ${
          describeValue(data.delayMs)
        }`;
    case "reset":
      return data.position === undefined
        ? ".position must be a position or null (the start), got undefined"
        : undefined;
    default:
      return undefined;
  }
}

/**
 * A stored event from its parts, with its fields in the documented order.
 *
 * @param event The event's `type`, `connector`, `at` and `data`.
 * @param version Its version.
 * @returns A new object.
 */
export function storedEvent(
  event: { type: unknown; connector: unknown; at: unknown; data: unknown },
  version: number,
): StoredDefinitionEvent {
  return {
    type: event.type,
    connector: event.connector,
    at: event.at,
    data: event.data,
    version,
  } as StoredDefinitionEvent;
}
