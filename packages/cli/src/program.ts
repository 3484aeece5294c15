import type { Store } from "@sched/core";
import { Command, CommanderError } from "commander";
import { registerDeadCommands } from "./commands/dead.js";
import { registerDoctorCommand } from "./commands/doctor.js";
import { registerJobCommands } from "./commands/jobs.js";
import { registerMigrateCommand } from "./commands/migrate.js";
import { registerQueueCommands } from "./commands/queues.js";
import { registerScheduleCommands } from "./commands/schedules.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerStatusCommand } from "./commands/status.js";
import type { CommandContext } from "./context.js";
import { classify, ExitCode, type ExitCodeValue } from "./exit-codes.js";
import { loadInstalledModule, type ModuleLoader } from "./load-module.js";
import { Messages, wantsJson } from "./messages.js";
import { type Output, terminalSafe } from "./output.js";
import { type Env, STORE_KINDS } from "./session.js";

declare const __VERSION__: string;

/** The version of this package, as built. */
export const VERSION: string = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0";

/** Where `run` reads its settings and writes its output; each defaults to the process's. */
export interface RunOptions {
  /** The environment with the `SCHEDULER_*` settings; `process.env` by default. */
  env?: Env;
  /** Receives standard output, one call per result (without the trailing newline). */
  stdout?: (text: string) => void;
  /** Receives standard error, one call per message (without the trailing newline). */
  stderr?: (text: string) => void;
  /** The current time in ms since the epoch; `Date.now` by default. */
  now?: () => number;
  /** Ends `sched serve`; by default SIGINT or SIGTERM does. */
  signal?: AbortSignal;
  /** Imports optional packages (`@sched/http`); a seam for tests. */
  load?: ModuleLoader;
  /**
   * A store to use instead of the one the `SCHEDULER_*` variables select, e.g. an application's own
   * in an admin script; it is left open.
   */
  store?: Store;
}

/** The `code` printed with `--json` for each usage error commander reports. */
const CODE_OF_PARSE_ERROR: Record<string, string> = {
  "commander.unknownOption": "UNKNOWN_OPTION",
  "commander.unknownCommand": "UNKNOWN_COMMAND",
  "commander.missingArgument": "MISSING_ARGUMENT",
  "commander.optionMissingArgument": "MISSING_OPTION_VALUE",
  "commander.missingMandatoryOptionValue": "MISSING_OPTION_VALUE",
  "commander.excessArguments": "EXCESS_ARGUMENTS",
  "commander.conflictingOption": "CONFLICTING_OPTIONS",
  "commander.help": "MISSING_COMMAND",
};

/** A command tree, and the last command that reported a parse error (for its message). */
interface ProgramParts {
  program: Command;
  failedCommand(): Command | null;
}

function buildProgram(context: CommandContext): ProgramParts {
  const program = new Command("sched")
    .description(
      "Inspect and operate @sched schedulers. Settings come from the SCHEDULER_* variables or the flags.",
    )
    .version(VERSION, "-V, --version")
    // Checked with the other settings (not by commander), so that a bad value reads as theirs do.
    .option("--store <store>", `the store: ${STORE_KINDS.join(", ")} (SCHEDULER_STORE)`)
    .option("--url <url>", "the store's URL (SCHEDULER_<STORE>_URL); prefer the variable, flags show in ps")
    .option("--schema <schema>", "PostgreSQL schema (SCHEDULER_POSTGRES_SCHEMA)")
    .option("--table-prefix <prefix>", "PostgreSQL table prefix (SCHEDULER_POSTGRES_TABLE_PREFIX)")
    .option("--key-prefix <prefix>", "Redis key prefix (SCHEDULER_REDIS_KEY_PREFIX)")
    .option("--json", "print results as JSON, and messages on stderr as JSON lines, for scripts")
    .showHelpAfterError("(run sched --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 failure or refused, 2 usage error, 3 not found, 4 doctor found problems.",
    );
  registerMigrateCommand(program, context);
  registerStatusCommand(program, context);
  registerJobCommands(program, context);
  registerDeadCommands(program, context);
  registerQueueCommands(program, context);
  registerScheduleCommands(program, context);
  registerDoctorCommand(program, context);
  registerServeCommand(program, context);
  let failed: Command | null = null;
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput({
      writeOut: (text) => context.output.out(text.replace(/\n$/, "")),
      // Commander writes only parse errors and the help that follows them here (asked-for help
      // goes to writeOut). With --json, `run` reports the error as one JSON object instead.
      writeErr: (text) => {
        failed = command;
        // Every message on stderr reads `sched: …`, commander's parse errors too.
        if (context.json !== true) context.output.err(text.replace(/\n$/, "").replace(/^error: /, "sched: "));
      },
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return { program, failedCommand: () => failed };
}

/** Builds the `sched` command tree for one run. */
export function createProgram(context: CommandContext): Command {
  return buildProgram(context).program;
}

/** The message of a parse error commander reported, without its `error: ` prefix. */
function parseErrorMessage(err: CommanderError, failed: Command | null): string {
  if (err.code === "commander.help") {
    // A command that only groups others (`sched jobs`) was given none of them.
    const command = failed;
    const path: string[] = [];
    for (let at: Command | null = command; at !== null; at = at.parent) path.unshift(at.name());
    const names = (command?.commands ?? []).map((sub) => sub.name()).filter((name) => name !== "help");
    return `${path.join(" ") || "sched"} needs a command: ${names.join(", ")}`;
  }
  return err.message.replace(/^error: /, "");
}

/**
 * Runs `sched` with `argv` (the arguments after the program name) and resolves with its exit code
 * (see {@link ExitCode}); never calls `process.exit`. Errors are printed on standard error as
 * `sched: <message>`, or with `--json` as one line `{ "error": { "code", "message" } }`, parse
 * errors too (`UNKNOWN_OPTION`, `UNKNOWN_COMMAND`, `MISSING_ARGUMENT`, …, exit code 2); a bad
 * value of a flag is a usage error (exit code 2) whose message starts with the flag (`--order: …`),
 * whoever checked it; with `--json` warnings are JSON lines as well (`{ "warning": { "message" } }`).
 * Messages never hold connection strings or tokens.
 *
 * @example
 * const code = await run(["jobs", "list", "--status", "dead", "--json"], { env: process.env });
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<ExitCodeValue> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(`${text}\n`));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(`${text}\n`));
  // Every line goes out terminal-safe: job data and arguments echoed in messages are shown, not
  // obeyed (an escape sequence in a group or a unique key would otherwise reach the terminal).
  const output: Output = {
    out: (text) => stdout(terminalSafe(text)),
    err: (text) => stderr(terminalSafe(text)),
  };
  const json = wantsJson(argv);
  const context: CommandContext = {
    env: options.env ?? process.env,
    output,
    json,
    now: options.now ?? Date.now,
    load: options.load ?? loadInstalledModule,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.store === undefined ? {} : { store: options.store }),
  };
  const messages = new Messages(output, json);
  const { program, failedCommand } = buildProgram(context);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.usage;
  }
  const repeated = repeatedFlag(argv);
  if (repeated !== null) {
    messages.error(
      "USAGE",
      `${repeated} is given more than once; give it once (one value is kept, not both)`,
    );
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with code 0; every other commander error is a usage error, printed
      // already as text, or now as JSON.
      if (err.exitCode === 0) return ExitCode.ok;
      if (json)
        messages.error(CODE_OF_PARSE_ERROR[err.code] ?? "USAGE", parseErrorMessage(err, failedCommand()));
      return ExitCode.usage;
    }
    const { exitCode, code, message } = classify(err);
    messages.error(code, message);
    return exitCode;
  }
}

/**
 * The first long flag `argv` gives twice before any `--` (`--queue a --queue=b`), or `null`: the
 * parser would keep the last value without a word, where the HTTP API refuses a repeated
 * parameter. A flag's value that looks like a flag (`--name --queue`) counts as one.
 */
export function repeatedFlag(argv: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const arg of argv) {
    if (arg === "--") break;
    const flag = /^(--[A-Za-z][\w-]*)(?:=|$)/.exec(arg)?.[1];
    if (flag === undefined) continue;
    if (seen.has(flag)) return flag;
    seen.add(flag);
  }
  return null;
}
