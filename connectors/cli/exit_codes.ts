// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The exit codes of the `ca` command, stable for scripts:
 *
 * | code | name          | meaning                                                          |
 * | ---- | ------------- | ---------------------------------------------------------------- |
 * | 0    | `ok`          | finished (or `validate`/`list`/`schema`/`init` succeeded)        |
 * | 1    | `failed`      | a processor failed while running: the pipeline is degraded       |
 * | 2    | `config`      | the config cannot run as written (invalid, or an executable, a module or a package missing); nothing was started |
 * | 3    | `runner`      | a runner or store could not start (unreachable), a runner crashed or broke the protocol |
 * | 64   | `usage`       | a wrong command line                                             |
 * | 130  | `interrupted` | stopped gracefully by SIGINT; checkpoints were committed         |
 * | 143  | `terminated`  | stopped gracefully by SIGTERM; checkpoints were committed        |
 *
 * Every startup failure is one line on stderr naming the config file and the
 * JSON pointer or the runner, the same on Deno and Node (`docs/runners.md`).
 *
 * @example Tell a config error apart
 * ```ts
 * import { EXIT_CODES } from "@ca/streams/cli";
 *
 * if (EXIT_CODES.config !== 2) throw new Error("unexpected");
 * ```
 */
export const EXIT_CODES: {
  readonly ok: 0;
  readonly failed: 1;
  readonly config: 2;
  readonly runner: 3;
  readonly usage: 64;
  readonly interrupted: 130;
  readonly terminated: 143;
} = Object.freeze({
  ok: 0,
  failed: 1,
  config: 2,
  runner: 3,
  usage: 64,
  interrupted: 130,
  terminated: 143,
});
