// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The config `ca init` writes: it runs as it is, on the runtime `ca` runs
 * on, and explains each part in a comment.
 *
 * @param runtime The runner's runtime: the one `ca` runs on, so that
 * nothing else needs installing.
 * @param file The file's name, for the commands the comments show.
 * @returns The YAML text.
 */
export function starterConfig(runtime: "deno" | "node", file: string): string {
  return `# yaml-language-server: $schema=./ca.schema.json
#
# A starter pipeline for ca, the command of @ca/streams. It runs as it is:
#
#   ca run ${file}
#
# It prints 100 generated readings, 20 a second, for five seconds. Press
# Ctrl-C halfway, then run it again: it goes on after the last reading it
# printed, because a checkpoint remembers where it got to. Delete the
# directory .ca-checkpoints to start from the beginning.
#
#   ca validate ${file}
#                                checks it without running it
#   ca list                      everything a config can use, with its args
#   ca schema > ca.schema.json   the schema the first line of this file names:
#                                editors with the YAML language server (VS
#                                Code's YAML extension, and others) then
#                                check and complete this file as you type
#   ca run --help                every option of run (and of each command)

# The pipeline's name: checkpoints are stored under it.
id: starter

# Runners are the processes that run the processors. One is enough here;
# add more (deno, node, python) and give each processor its runner, and ca
# starts them as child processes wired by channels (docs/runners.md).
runners:
  main:
    runtime: ${runtime}

# Where the source's position is committed, so a rerun resumes. "file" keeps
# it in a directory beside this file; "memory" keeps nothing; redis, postgres
# and deno-kv are there too (ca list shows every store).
checkpoint:
  store:
    type: file
    dir: ./.ca-checkpoints
  everyRecords: 10 # commit after every 10 records printed

# The processors, in order: a source first, a sink last, processors between.
# "use" names a definition (ca list); "args" are checked against its schema.
processors:
  # A source: records { id, value, sensor, celsius }, 20 a second.
  - name: readings
    use: generate
    args:
      count: 100
      ratePerSecond: 20
      template: { sensor: s-1, celsius: 21.5 }

  # A processor: keep only some fields of each record.
  - name: fields
    use: select
    args:
      fields: [id, sensor, celsius]

  # A sink: print each record on stdout. "pretty" is readable; "json" prints
  # JSON lines for other programs (ca run ${file} | jq ...).
  - name: print
    use: console-sink
    args:
      format: pretty
`;
}
