// Copyright 2026 the @ca/streams authors. MIT license.

import { ConfigError } from "../../src/config/config_error.ts";
import type { ConfigIssue } from "../../src/config/config_issue.ts";
import { describeError } from "../../src/errors/describe_error.ts";
import { parsePipelineConfig } from "../../src/config/parse_pipeline_config.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import { planPipeline } from "../../src/config/plan_pipeline.ts";
import type { RunnerPlan } from "../../src/config/runner_plan.ts";
import type { Registry } from "../../src/config/registry.ts";
import type { CliRuntime } from "./cli_runtime.ts";
import { defaultRegistry } from "./default_registry.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import { checkExecutables } from "./check_executables.ts";
import {
  listPythonProcessors,
  type PythonProcessor,
} from "./list_python_processors.ts";

/** A config read, checked and planned: ready to run. */
export interface LoadedConfig {
  /** The config file's path as given. */
  file: string;
  /** Its directory as a `file:` URL ending in `/`. */
  baseUrl: string;
  /** The checked config, defaults filled in. */
  config: PipelineConfig;
  /** The definitions it may name, of every kind: the library's and its modules'. */
  registry: Registry;
  /** What each runner runs. */
  plans: RunnerPlan[];
  /** The processors its Python runners offer, by name. */
  pythonProcessors: Map<string, PythonProcessor>;
}

/**
 * Reads a pipeline config file and checks all of it, without starting any
 * processor: the YAML or JSON, `${ENV}` substitution, the modules it names
 * (imported to register their processors), the processors a Python runner
 * offers (its `--list`), every processor's args. Then plans the runners.
 *
 * @param file The config file's path (`-`: standard input).
 * @param runtime The runtime services.
 * @param options `text`: the config's text, read already (from stdin).
 * @returns The loaded config.
 * @throws {ConfigError} With every issue found, each naming its path.
 */
export async function loadConfig(
  file: string,
  runtime: CliRuntime,
  options: { text?: string } = {},
): Promise<LoadedConfig> {
  const fileUrl = new URL(file, `file://${runtime.cwd()}/`);
  const baseUrl = new URL(".", fileUrl).href;
  let text: string;
  try {
    text = options.text ??
      await runtime.readTextFile(decodeURIComponent(fileUrl.pathname));
  } catch (error) {
    throw new ConfigError([{
      path: "",
      message: `cannot read ${file}: ${describeError(error)}`,
    }]);
  }
  return await loadConfigText(text, runtime, { file, baseUrl });
}

/** Options for {@linkcode loadConfigText}. */
export interface LoadConfigTextOptions {
  /** The base of the config's relative paths, a `file:` URL ending in `/`. */
  baseUrl: string;
  /** What to call the config in {@linkcode LoadedConfig.file} (default `"<config>"`). */
  file?: string;
  /** The variables `${NAME}` refers to (default `runtime.env()`). */
  env?: Record<string, string | undefined>;
  /**
   * The definitions the config may name (default `defaultRegistry()`); the
   * config's modules register theirs into it.
   */
  registry?: Registry;
}

/**
 * Checks a pipeline config given as text (YAML or JSON), as
 * {@linkcode loadConfig} checks a file, its relative paths resolved
 * against `options.baseUrl`: for a config that is not a file, such as a
 * connector host's.
 *
 * @param text The config's text.
 * @param runtime The runtime services.
 * @param options The base URL, and optionally a name, the environment and
 * the registry.
 * @returns The loaded config.
 * @throws {ConfigError} With every issue found, each naming its path.
 */
export async function loadConfigText(
  text: string,
  runtime: CliRuntime,
  options: LoadConfigTextOptions,
): Promise<LoadedConfig> {
  const { baseUrl } = options;
  const env = options.env ?? runtime.env();
  const registry = options.registry ?? defaultRegistry();
  // First pass, structure only: which modules and Python runners to ask
  // before the full check, which needs their processors.
  let shape: PipelineConfig;
  try {
    shape = await parsePipelineConfig(text, { env });
  } catch (error) {
    throw await withArgIssues(error, text, env, registry);
  }
  const issues: ConfigIssue[] = [];
  for (const [index, specifier] of shape.modules.entries()) {
    const url = new URL(specifier, baseUrl).href;
    try {
      // The same words on every runtime for the commonest mistake.
      const path = url.startsWith("file:") ? toFilePath(url, baseUrl) : "";
      if (path !== "" && !await runtime.isFile(path)) {
        throw new Error(`no such file ${path}`);
      }
      registry.registerModule(await import(url), url);
    } catch (error) {
      issues.push({
        path: `/modules/${index}`,
        message: `cannot load module ${specifier}: ${describeError(error)}`,
      });
    }
  }
  const broken = await checkExecutables(shape.runners, {
    runtime,
    env,
    baseUrl,
    issues,
  });
  const pythonProcessors = await listPythonProcessors(shape, {
    runtime,
    env,
    baseUrl,
    issues,
    skip: broken,
  });
  if (issues.length > 0) throw new ConfigError(issues);
  const config = await parsePipelineConfig(text, {
    env,
    registry,
    pythonProcessors,
  });
  return {
    file: options.file ?? "<config>",
    baseUrl,
    config,
    registry,
    plans: planPipeline(config, { baseUrl }),
    pythonProcessors,
  };
}

/**
 * A config broken in its structure cannot say which modules to load, so
 * its args were not checked: add the issues of the args of the library's
 * own processors, stores and transports, so that one run of `ca validate`
 * shows them all.
 */
async function withArgIssues(
  error: unknown,
  text: string,
  env: Record<string, string | undefined>,
  registry: Registry,
): Promise<unknown> {
  if (!(error instanceof ConfigError)) return error;
  try {
    await parsePipelineConfig(text, { env, registry });
    return error;
  } catch (full) {
    if (!(full instanceof ConfigError)) return error;
    const seen = new Set(error.issues.map((i) => `${i.path}\0${i.message}`));
    const more = full.issues.filter((issue) =>
      /^\/(?:processors\/\d+\/args|checkpoint\/store\/(?!type$)[^/]+|channels\/\d+\/args)(\/|$)/
        .test(issue.path) &&
      !seen.has(`${issue.path}\0${issue.message}`)
    );
    if (more.length === 0) return error;
    return new ConfigError(
      [...error.issues, ...more].sort((a, b) =>
        a.path < b.path ? -1 : a.path > b.path ? 1 : 0
      ),
    );
  }
}
