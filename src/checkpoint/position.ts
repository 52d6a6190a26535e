// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * How far a source has been read: any JSON value the source understands (a
 * byte offset, a stream ID, a cursor, a revision). Stores keep it as JSON.
 */
export type Position =
  | string
  | number
  | boolean
  | null
  | Position[]
  | { [key: string]: Position };
