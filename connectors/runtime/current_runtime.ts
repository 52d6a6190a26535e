// Copyright 2026 the @ca/streams authors. MIT license.

/** The server runtimes whose APIs the connectors load. */
export type RuntimeName = "deno" | "node";

let injected: RuntimeName | undefined;

/**
 * The runtime this code runs on: `"deno"` when `Deno` is a global, else
 * `"node"` (Node, and Bun through its Node APIs). This is the one place
 * where the connectors choose a runtime; each connector then imports its
 * `deno.ts` or `node.ts` lazily.
 *
 * @returns The runtime's name, or the one {@linkcode injectRuntime} set.
 */
export function currentRuntime(): RuntimeName {
  return injected ?? ("Deno" in globalThis ? "deno" : "node");
}

/**
 * Makes {@linkcode currentRuntime} answer `name`, for tests that run one
 * runtime's module on another (Deno runs Node's `node:*` APIs too);
 * `undefined` goes back to detection. Set it before a connector first
 * loads its runtime module: each loads once.
 *
 * @param name The runtime to answer, or `undefined`.
 */
export function injectRuntime(name: RuntimeName | undefined): void {
  injected = name;
}
