// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { MESSAGE_FORMATS } from "../messages/message_format.ts";
import type { MessageFormat } from "../messages/message_format.ts";

/**
 * The `format` arg of a broker or HTTP connector's definition: one of the
 * message formats, `"json"` when omitted.
 *
 * @returns A schema for the arg.
 */
export function messageFormatArg(): z.ZodMiniDefault<
  z.ZodMiniEnum<{ [K in MessageFormat]: K }>
> {
  return z._default(
    z.enum(MESSAGE_FORMATS as [MessageFormat, ...MessageFormat[]]),
    "json",
  );
}

/**
 * An arg that selects a field of a record (a sink's `key`, `value`,
 * `headers` or `topic`): a JSON pointer such as `"/order/id"`, `""` for the
 * whole record.
 *
 * @returns A schema for the arg.
 */
export function fieldSelectorArg(): z.ZodMiniString<string> {
  return z.string().check(
    z.refine((value) => value === "" || value.startsWith("/"), {
      message:
        'expected a JSON pointer such as "/id" ("" for the whole record)',
    }),
  );
}
