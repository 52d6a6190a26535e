// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { isThenable } from "./thenable.ts";

/**
 * Finishes a batch once a user function has returned a thenable for
 * `records[at]`: awaits it, hands the value to `use`, then calls `call` on
 * the remaining records in order, awaiting only thenables. The sync loop of
 * the processor stays free of this machinery.
 *
 * @param records The batch being processed.
 * @param at Index in `records` of the record whose result is `pending`.
 * @param pending The thenable the user function returned.
 * @param call Calls the user function on a record.
 * @param use Consumes the result for a record.
 * @param fail Wraps an error thrown or rejected by the user function.
 */
export async function finishAsync<I, R>(
  records: readonly I[],
  at: number,
  pending: PromiseLike<R>,
  call: (record: I) => R | PromiseLike<R>,
  use: (result: R, record: I) => void,
  fail: (error: unknown) => Error,
): Promise<void> {
  let result: R | PromiseLike<R> = pending;
  for (let i = at;;) {
    let value: R;
    try {
      value = isThenable(result) ? await result : result;
    } catch (error) {
      throw fail(error);
    }
    use(value, records[i]!);
    if (++i >= records.length) return;
    try {
      result = call(records[i]!);
    } catch (error) {
      throw fail(error);
    }
  }
}
