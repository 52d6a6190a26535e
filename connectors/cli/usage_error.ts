// Copyright 2026 the @ca/streams authors. MIT license.

/** A wrong command line: `ca` prints the message and exits 64. */
export class UsageError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_USAGE" = "CA_ERR_USAGE";
  /** The command whose help to point at, when known. */
  readonly command: string | undefined;

  /**
   * Creates the error.
   *
   * @param message The one-line message.
   * @param command The command whose help to point at.
   */
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}
