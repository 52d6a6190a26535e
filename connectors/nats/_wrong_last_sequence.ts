// Copyright 2026 the @ca/streams authors. MIT license.

/** JetStream's answers to a publish whose expected last (subject) sequence is not the stream's. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);

/**
 * Whether a JetStream publish (a KV create or update at a revision) was
 * refused because the subject moved on: the compare-and-set lost.
 */
export function isWrongLastSequence(error: unknown): boolean {
  return WRONG_LAST_SEQUENCE.has(
    Number((error as { code?: unknown } | null)?.code),
  );
}
