/**
 * Standard web APIs that the runtimes this package targets (Deno, Node 22+,
 * workerd) implement but TypeScript's `lib.dom.d.ts` does not declare yet.
 * Loaded only by `tsconfig.web.json` and `tsconfig.build.json`, so the
 * web-only type check accepts them; nothing here names a Deno or Node API.
 *
 * Only gaps that declaration merging can fill belong here. `ReadableStream.from`
 * cannot be added this way (lib.dom declares `ReadableStream` as a variable of
 * an anonymous type), so `src/` must not call it.
 */

/** WHATWG Streams: called when the readable side is cancelled or the writable side aborted. */
interface TransformerCancelCallback {
  (reason: unknown): void | PromiseLike<void>;
}

/** WHATWG Streams `Transformer`, with the `cancel` member added to the standard in 2023. */
interface Transformer<I, O> {
  cancel?: TransformerCancelCallback;
}
