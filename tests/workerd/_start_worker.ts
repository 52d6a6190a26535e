// Copyright 2026 the @ca/streams authors. MIT license.
// Shared by the workerd tests: bundle a worker for a neutral platform and
// serve it in Miniflare with no compatibility flags.
import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";

/** Fixed so runs are reproducible; must not be later than workerd supports. */
export const COMPATIBILITY_DATE = "2026-07-01";

/** Every test (and the start-up) fails rather than hangs past this. */
export const TIMEOUT_MS = 60_000;

/** A worker served by Miniflare. */
export interface StartedWorker {
  mf: Miniflare;
  /** The worker's URL. */
  base: URL;
  /** The bundle's code. */
  code: string;
}

/**
 * Bundles `entry` with esbuild (platform "neutral": a `node:*` import fails
 * the build, and the bundle must not name one either) and serves it.
 */
export async function startWorker(
  entry: URL,
  options: { external?: string[] } = {},
): Promise<StartedWorker> {
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: options.external ?? [],
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  assert.doesNotMatch(
    code,
    /["']node:[\w/]+["']/,
    "the worker bundle names node:*",
  );
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.js", contents: code }],
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: [],
  });
  return { mf, base: await mf.ready, code };
}
