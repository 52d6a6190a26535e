// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Thrown when a connector needs an optional npm package that is not
 * installed. The message says what to install:
 * `Cannot open the redis store: install the npm package "redis" (npm install redis)`.
 */
export class MissingPackageError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_MISSING_PACKAGE" = "CA_ERR_MISSING_PACKAGE";
  /** The npm package to install, such as `"redis"`. */
  readonly packageName: string;

  /**
   * Creates the error.
   *
   * @param packageName The npm package to install.
   * @param action What could not be done, such as `"open the redis store"`.
   * @param cause The error the import failed with.
   */
  constructor(packageName: string, action: string, cause?: unknown) {
    super(
      `Cannot ${action}: install the npm package "${packageName}" (npm install ${packageName})`,
      { cause },
    );
    this.name = "MissingPackageError";
    this.packageName = packageName;
  }
}
