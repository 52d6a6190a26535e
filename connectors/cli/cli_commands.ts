// Copyright 2026 the @ca/streams authors. MIT license.

import { type CommandSpec, COMMON_OPTIONS } from "./command_line.ts";

const LOG_FORMAT = {
  name: "--log-format",
  value: "FORMAT",
  help: "text (default) or json: every line on stderr one JSON object",
};

/** The commands of `ca`, in the order `ca --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "init",
    operands: "[FILE]",
    min: 0,
    max: 1,
    summary: "write a commented starter config (default pipeline.yaml)",
    description:
      `Writes a starter pipeline config that runs as it is: a generator paced at
a few records a second, a select, and a sink that prints to the console, with
a file checkpoint, each part explained in a comment. Then:

  ca run pipeline.yaml              run it (Ctrl-C stops; a rerun resumes)
  ca schema > ca.schema.json        lets editors check and complete it

The runner runs on the runtime ca runs on (deno or node). An existing file is
never overwritten unless --force is given.`,
    options: [{ name: "--force", help: "overwrite FILE if it exists" }],
  },
  {
    name: "validate",
    operands: "FILE...",
    min: 1,
    max: Infinity,
    summary: "check configs without running anything (- reads stdin)",
    description:
      `Checks each config file as ca run would, without starting a processor:
its YAML or JSON, \${ENV} substitution, the modules it lists, the runners'
executables and Python processors, every processor's, store's and channel's
args. Each file gets its own lines: "ok: FILE: ..." on stdout, or one line per
problem on stderr, naming the file and the problem's JSON pointer. "-" reads a
config from standard input (relative paths in it are relative to the working
directory).

With --connect it also opens what the config names outside: the checkpoint
store (created, read, closed) and the fixed ports channels listen on. One that
cannot be reached makes exit code 3.

With --graph a valid config's graph is printed instead of the "ok" line, as a
Mermaid flowchart (flowchart LR): a node per processor with its name and use
(a source rounded, a sink a cylinder, a route a rhombus), a subgraph per
runner, an edge per input (a route's labelled with its values), the edges
between runners dotted and labelled with their channel's transport. In a
Markdown file, a mermaid code block draws it:

  ca validate --graph examples/fan-out.yaml > fan-out.mmd

Exit code: the worst of all files: 0 all valid, 2 a config is invalid, 3 a
store or address is unreachable (--connect).`,
    options: [
      {
        name: "--connect",
        help: "also open the checkpoint store and channel ports it names",
      },
      {
        name: "--graph",
        help: "print each valid config's graph as Mermaid (flowchart LR)",
      },
      LOG_FORMAT,
    ],
  },
  {
    name: "run",
    operands: "FILE",
    min: 1,
    max: 1,
    summary: "run a config",
    description:
      `Checks the config (as ca validate does), then runs it: the runners of this
runtime in this process, the others as child processes wired by channels.
SIGINT or SIGTERM (Ctrl-C) stops gracefully: sources stop, what was read drains
to the sinks, checkpoints commit; a second one aborts.

On a terminal it redraws the progress of every runner and processor; elsewhere
(a pipe, CI, a service) it prints a progress line to stderr every few seconds
and a summary line at the end. Records a console-sink prints go to stdout.

Exit codes: 0 done, 1 a processor failed, 2 the config is invalid (nothing
started), 3 a runner or store could not start or a runner crashed, 130/143
stopped by SIGINT/SIGTERM.`,
    options: [
      { name: "--live", help: "redraw progress on the terminal" },
      {
        name: "--summary",
        help: "progress lines and a summary, as outside a terminal",
      },
      {
        name: "--progress-interval",
        value: "T",
        help:
          "a progress line every T: 5s (default), 500ms, 1m or seconds; 0: none",
      },
      LOG_FORMAT,
    ],
  },
  {
    name: "serve",
    operands: "",
    min: 0,
    max: 0,
    summary: "run a connector host: many connectors managed over HTTP",
    description:
      `Runs a connector host: many connectors, each a pipeline config (as ca run
takes it) whose id is the connector's id, managed over HTTP:

  POST   /connectors                 { id, config, start? }  create
  GET    /connectors                 every connector's state and counters
  GET    /connectors/{id}            one, with its config
  PUT    /connectors/{id}/config     reconfigure (a running one restarts)
  POST   /connectors/{id}/start      start (idempotent)
  POST   /connectors/{id}/stop       stop gracefully (idempotent)
  POST   /connectors/{id}/reset      { position? } move the checkpoint (stopped)
  DELETE /connectors/{id}            delete (stopped)
  GET    /connectors/{id}/history    its events
  GET    /healthz, /readyz, /metrics

Every request but /healthz and /readyz needs "Authorization: Bearer TOKEN":
CA_ADMIN_TOKEN may change things, CA_VIEWER_TOKEN only read. CA_ADMIN_TOKEN
must be set (16 characters or more).

Definitions are kept as events, with the connectors' checkpoints, in --store:
a directory (default .ca-host under --root), a postgres:// URL, a nats:// URL
(JetStream and a KV bucket), or memory. A restarted ca serve starts again the
connectors that were running. A config may name modules, executables or scripts
only inside --allow-modules. SIGINT or SIGTERM stops every connector gracefully
(checkpoints committed), then exits 0.

With --cluster, hosts given the same --store and --cluster share the enabled
connectors: each runs on one host at a time, spread evenly (a config's
placement: { labels: [...] } keeps it on hosts with those --labels). A host
that stops hands its connectors over; one that dies loses them when its leases
expire (--lease-ttl), and the others resume them from their checkpoints. GET
/cluster shows the hosts; GET /connectors on any host shows where each runs.`,
    options: [
      {
        name: "--port",
        value: "N",
        help: "the port to listen on (default 8080)",
      },
      {
        name: "--hostname",
        value: "ADDR",
        help: "the address to listen on (default 127.0.0.1)",
      },
      {
        name: "--store",
        value: "STORE",
        help:
          "a directory, a postgres:// URL or memory (default ROOT/.ca-host)",
      },
      {
        name: "--root",
        value: "DIR",
        help: "the base of relative paths in configs (default .)",
      },
      {
        name: "--allow-modules",
        value: "DIR",
        help: "configs may name modules, executables and scripts inside DIR",
      },
      {
        name: "--cluster",
        value: "ENGINE",
        help:
          "join a cluster through this lease engine: a postgres:// or nats:// URL",
      },
      {
        name: "--host-id",
        value: "ID",
        help: "this host's id in the cluster (default: a random one)",
      },
      {
        name: "--labels",
        value: "A,B",
        help: "this host's labels, for connectors' placement.labels",
      },
      {
        name: "--lease-ttl",
        value: "T",
        help:
          "how long a lease lives unrenewed: 10s (default), 3s, 1500ms; the same on every host",
      },
      LOG_FORMAT,
    ],
  },
  {
    name: "list",
    operands: "[FILE]",
    min: 0,
    max: 1,
    summary: "what configs can name: sources, processors, sinks, stores, ...",
    description:
      `Lists every definition a config can name, grouped by kind (sources,
processors and sinks for "use", stores for "checkpoint.store.type", transports
for "channels[].transport"), each with its args. With FILE, the definitions of
the config's modules and the processors of its Python runners are added.

--json prints an array of { name, kind, description, origin, args } where args
is a JSON Schema.`,
    options: [{ name: "--json", help: "print JSON, with args as JSON Schema" }],
  },
  {
    name: "schema",
    operands: "[FILE]",
    min: 0,
    max: 1,
    summary: "print the JSON Schema of config files, for editors",
    description:
      `Prints a JSON Schema (draft 2020-12) of a whole config file, with the args
of every registered source, processor, sink, store and transport. With FILE,
the config's modules and Python runners add theirs. Save it and point editors
at it; with the YAML language server (VS Code's YAML extension, and others),
the first line of a config does it:

  ca schema > ca.schema.json
  # yaml-language-server: $schema=./ca.schema.json`,
    options: [],
  },
  {
    name: "help",
    operands: "[COMMAND]",
    min: 0,
    max: 1,
    summary: "this text, or a command's (same as ca COMMAND --help)",
    description: "Prints the help of ca, or of one command.",
    options: [],
  },
];

/**
 * The text of `ca --help`.
 *
 * @returns The usage, ending with a newline.
 */
export function mainUsage(): string {
  const width = Math.max(
    ...COMMANDS.map((c) => `${c.name} ${c.operands}`.length),
  );
  return `Usage: ca <command> [options]

Commands:
${
    COMMANDS.map((c) =>
      `  ${`${c.name} ${c.operands}`.padEnd(width)}  ${c.summary}`
    ).join("\n")
  }

Options:
  -h, --help  help; ca <command> --help for a command's
  --version   the version of ca and of the runtime
  --debug     print the stack trace of an error

Exit codes: 0 ok, 1 a processor failed, 2 invalid config, 3 a runner or store
could not start or a runner crashed, 64 usage, 130/143 stopped by SIGINT/SIGTERM.

New here? ca init && ca run pipeline.yaml
`;
}

/**
 * The text of `ca <command> --help`.
 *
 * @param spec The command.
 * @returns The help, ending with a newline.
 */
export function commandHelp(spec: CommandSpec): string {
  const options = [...spec.options, ...COMMON_OPTIONS].map((o) => ({
    left: o.value ? `${o.name} ${o.value}` : o.name,
    help: o.help,
  }));
  const width = Math.max(...options.map((o) => o.left.length));
  return `Usage: ca ${spec.name} ${spec.operands} [options]

${spec.description}

Options:
${options.map((o) => `  ${o.left.padEnd(width)}  ${o.help}`).join("\n")}
`;
}
