// Copyright 2026 the @ca/streams authors. MIT license.

import { describeError } from "../../src/errors/describe_error.ts";
import { MissingPackageError } from "./missing_package_error.ts";

/**
 * Imports an optional peer dependency, turning "module not found" into a
 * {@linkcode MissingPackageError} that names the package to install. Other
 * failures (the package is there but throws while loading) pass through.
 *
 * `load` must be a function around an `import()` with a literal specifier,
 * so that bundlers and `deno publish` see the dependency:
 * `importOptional(() => import("redis"), "redis", "open the redis store")`.
 *
 * @param load Imports the package.
 * @param packageName The npm package's name, for the message.
 * @param action What needs it, as in "Cannot open the redis store".
 * @returns The module.
 */
export async function importOptional<T>(
  load: () => Promise<T>,
  packageName: string,
  action: string,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isNotFound(error, packageName)) {
      throw new MissingPackageError(packageName, action, error);
    }
    throw error;
  }
}

function isNotFound(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_MODULE_NOT_FOUND") return true;
  const message = describeError(error);
  // Deno: 'Could not find package "redis" from referrer ...' or a
  // resolution error naming the specifier.
  return message.includes(`"${packageName}"`) &&
    /not find|not found|resolve/i.test(message);
}
