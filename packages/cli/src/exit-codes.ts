import { migrationAdvice } from "./migration-advice.js";

/**
 * The exit codes of `sched`, stable across versions so that scripts can branch on them:
 *
 * - `0` ok: the command did what it was asked (also when it was already so: pausing a paused queue);
 * - `1` failure: the store could not be reached or its tables are not migrated; an action was
 *   refused because it does not apply to the state of the job it names (promoting a running job);
 *   anything unexpected;
 * - `2` usage: an unknown command or option, a missing argument, a bad value, a bad `SCHEDULER_*`
 *   setting;
 * - `3` not found: the job, schedule or queue named does not exist;
 * - `4` problems: `sched doctor` ran and found at least one problem.
 *
 * The table is the one in the package README; tests run the binary for each row.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  problems: 4,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error a command reports to the user and ends with: its `message` is printed (it never holds a
 * secret) and `exitCode` becomes the process's exit code. `code` is a stable machine-readable name
 * printed with `--json`.
 */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly code: string;

  constructor(exitCode: ExitCodeValue, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** A usage error (exit code 2): a flag value that does not parse, or a combination that is refused. */
export function usageError(message: string): CliError {
  return new CliError(ExitCode.usage, "USAGE", message);
}

/**
 * A refusal (exit code 1): the job named exists, but the action does not apply to its state.
 * `code` names the action refused, such as `NOT_PROMOTABLE`.
 */
export function refusal(code: string, message: string): CliError {
  return new CliError(ExitCode.failure, code, message);
}

/** A not-found error (exit code 3), `code` such as `JOB_NOT_FOUND` or `QUEUE_NOT_FOUND`. */
export function notFound(code: string, message: string): CliError {
  return new CliError(ExitCode.notFound, code, message);
}

const CODES_OF_USAGE = new Set(["CONFIG_INVALID", "INVALID_ARGUMENT", "INVALID_SCHEDULE"]);
const CODES_OF_NOT_FOUND = new Set(["JOB_NOT_FOUND", "SCHEDULE_NOT_FOUND"]);

/**
 * The exit code, `code` and message an error thrown by a command ends the process with:
 * {@link CliError}s as they are; `CONFIG_INVALID`, `INVALID_ARGUMENT` and `INVALID_SCHEDULE` are
 * usage errors, `JOB_NOT_FOUND` and `SCHEDULE_NOT_FOUND` not found, anything else (an unreachable
 * store, `MIGRATION_REQUIRED`, a refusal) a failure.
 */
export function classify(err: unknown): { exitCode: ExitCodeValue; code: string; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, code: err.code, message: err.message };
  const code =
    typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "ERROR";
  const message =
    code === "MIGRATION_REQUIRED" ? migrationAdvice(err) : err instanceof Error ? err.message : String(err);
  if (CODES_OF_NOT_FOUND.has(code)) return { exitCode: ExitCode.notFound, code, message };
  if (CODES_OF_USAGE.has(code)) return { exitCode: ExitCode.usage, code, message };
  return { exitCode: ExitCode.failure, code, message };
}
