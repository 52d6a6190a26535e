// Copyright 2026 the @ca/streams authors. MIT license.

import type { CliRuntime } from "./cli_runtime.ts";

/**
 * Finds the file a command runs, as a shell would: a command with a `/` is
 * a path (relative to the working directory), a bare name is looked up in
 * the `PATH` directories.
 *
 * @param command The executable's path or name.
 * @param runtime Where to look.
 * @param env The environment, for `PATH`.
 * @returns The path of an executable file, or `undefined`.
 */
export async function findExecutable(
  command: string,
  runtime: CliRuntime,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  if (command.includes("/")) {
    const path = command.startsWith("/")
      ? command
      : `${runtime.cwd()}/${command}`;
    return await runtime.isExecutable(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? "").split(":")) {
    const path = `${dir === "" ? runtime.cwd() : dir}/${command}`;
    if (await runtime.isExecutable(path)) return path;
  }
  return undefined;
}
