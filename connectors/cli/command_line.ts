// Copyright 2026 the @ca/streams authors. MIT license.

import { didYouMean } from "../../src/config/suggest.ts";
import { UsageError } from "./usage_error.ts";

/** One option of a command. */
export interface OptionSpec {
  /** `"--connect"`. */
  name: string;
  /** The value's placeholder, as `"T"` in `--progress-interval T`, when it takes one. */
  value?: string;
  /** One line for the help. */
  help: string;
}

/** A command of `ca`: its operands, options and help. */
export interface CommandSpec {
  /** `"validate"`. */
  name: string;
  /** The operands after the name, as the usage line shows them: `"FILE..."`. */
  operands: string;
  /** How many operands it takes. */
  min: number;
  /** At most this many (`Infinity` for any). */
  max: number;
  /** One line for `ca --help`. */
  summary: string;
  /** The paragraphs of `ca <command> --help`. */
  description: string;
  /** Its options, besides `--help` and `--debug`. */
  options: OptionSpec[];
}

/** A command line, parsed. */
export interface CommandLine {
  /** The operands, in order (`-` stays `-`). */
  operands: string[];
  /** The options given, by name (`"--connect"`): `true`, or the value. */
  options: Map<string, string | true>;
  /** `--help` or `-h` was given. */
  help: boolean;
  /** `--debug` was given. */
  debug: boolean;
}

/** The options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: "--help", help: "this help (also -h)" },
  { name: "--debug", help: "print the stack trace of an error" },
];

/**
 * Parses the arguments after a command's name: operands, its options
 * (`--name`, `--name VALUE` or `--name=VALUE`), `-h`/`--help`, `--debug`,
 * and `--` before operands that start with `-`. A lone `-` is an operand
 * (standard input).
 *
 * @param args The arguments after the command's name.
 * @param spec The command.
 * @returns The parsed line.
 * @throws {UsageError} For an unknown option (with "did you mean"), a
 * missing value, or too few or too many operands (unless `--help`).
 */
export function parseCommandLine(
  args: string[],
  spec: CommandSpec,
): CommandLine {
  const known = [...spec.options, ...COMMON_OPTIONS];
  const line: CommandLine = {
    operands: [],
    options: new Map(),
    help: false,
    debug: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      line.operands.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      line.operands.push(arg);
      continue;
    }
    if (arg === "-h" || arg === "--help") {
      line.help = true;
      continue;
    }
    const equals = arg.indexOf("=");
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    const option = known.find((o) => o.name === name);
    if (!option) {
      throw new UsageError(
        `ca ${spec.name}: unknown option ${name}${
          didYouMean(name, known.map((o) => o.name))
        }`,
        spec.name,
      );
    }
    if (option.name === "--debug") {
      line.debug = true;
      continue;
    }
    if (option.value === undefined) {
      if (equals > 0) {
        throw new UsageError(
          `ca ${spec.name}: ${name} takes no value`,
          spec.name,
        );
      }
      line.options.set(name, true);
      continue;
    }
    const value = equals > 0 ? arg.slice(equals + 1) : args[++i];
    if (value === undefined) {
      throw new UsageError(
        `ca ${spec.name}: ${name} needs a value (${name} ${option.value})`,
        spec.name,
      );
    }
    line.options.set(name, value);
  }
  if (!line.help) {
    if (line.operands.length < spec.min) {
      throw new UsageError(
        `ca ${spec.name}: expected ${spec.operands}, got ${
          line.operands.length === 0 ? "nothing" : line.operands.join(" ")
        }`,
        spec.name,
      );
    }
    if (line.operands.length > spec.max) {
      throw new UsageError(
        `ca ${spec.name}: unexpected argument ${line.operands[spec.max]}`,
        spec.name,
      );
    }
  }
  return line;
}
