// Copyright 2026 the @ca/streams authors. MIT license.

import { ROUTE_USE } from "../../src/config/check_graph.ts";
import type { ProcessorKind } from "../../src/config/define_processor.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import { processorInputs } from "../../src/config/processor_inputs.ts";

/** Escapes a label for a Mermaid string: `"` and `#` as entities. */
function text(label: string): string {
  return label.replaceAll("#", "#35;").replaceAll('"', "#quot;")
    .replaceAll("<", "#lt;").replaceAll(">", "#gt;");
}

/** The values of a route that send records to each target, by target. */
function routeLabels(args: unknown): Map<string, string[]> {
  const labels = new Map<string, string[]>();
  const add = (to: unknown, label: string) => {
    for (const name of typeof to === "string" ? [to] : (to as string[])) {
      labels.set(name, [...labels.get(name) ?? [], label]);
    }
  };
  const { routes, default: fallback } = args as {
    routes: Record<string, string | string[]>;
    default?: string | string[];
  };
  for (const [value, to] of Object.entries(routes)) add(to, value);
  if (fallback !== undefined) add(fallback, "default");
  return labels;
}

/**
 * A config's graph as a Mermaid flowchart (`flowchart LR`), as
 * `ca validate --graph` prints it: one node per processor labelled with its
 * name and `use` (a source rounded, a sink a cylinder, a route a rhombus),
 * a subgraph per runner, an edge per input (a route's labelled with its
 * values), and the edges between runners dotted and labelled with their
 * channel's transport.
 *
 * @param config A checked config.
 * @param kindOf The kind of a processor's `use`, when known.
 * @returns The Mermaid text, ending with a newline.
 */
export function graphMermaid(
  config: PipelineConfig,
  kindOf: (use: string, runner: string) => ProcessorKind | undefined,
): string {
  const { processors } = config;
  const id = new Map(processors.map((p, index) => [p.name, `p${index}`]));
  const lines = ["flowchart LR"];
  Object.entries(config.runners).forEach(([runner, { runtime }], index) => {
    const own = processors.filter((p) => p.runner === runner);
    if (own.length === 0) return;
    lines.push(`  subgraph r${index}["${text(`${runner} (${runtime})`)}"]`);
    for (const processor of own) {
      const label = `"${text(processor.name)}<br/>${text(processor.use)}"`;
      const kind = processor.use === ROUTE_USE
        ? "route"
        : kindOf(processor.use, processor.runner);
      const shape = kind === "source"
        ? `([${label}])`
        : kind === "sink"
        ? `[(${label})]`
        : kind === "route"
        ? `{${label}}`
        : `[${label}]`;
      lines.push(`    ${id.get(processor.name)}${shape}`);
    }
    lines.push("  end");
  });
  const channels = new Map(
    config.channels.map((c) => [`${c.from}->${c.to}`, c]),
  );
  const inputs = processorInputs(config);
  processors.forEach((processor, index) => {
    for (const from of inputs[index]!) {
      const source = processors.find((p) => p.name === from)!;
      const labels: string[] = [];
      if (source.use === ROUTE_USE) {
        labels.push(
          ...routeLabels(source.args).get(processor.name) ?? [],
        );
      }
      const channel = channels.get(`${from}->${processor.name}`);
      const [a, b] = [id.get(from), id.get(processor.name)];
      if (channel === undefined) {
        lines.push(
          labels.length === 0
            ? `  ${a} --> ${b}`
            : `  ${a} -- "${text(labels.join(", "))}" --> ${b}`,
        );
        continue;
      }
      labels.push(`channel ${channel.transport}`);
      lines.push(`  ${a} -. "${text(labels.join(", "))}" .-> ${b}`);
    }
  });
  return lines.join("\n") + "\n";
}
