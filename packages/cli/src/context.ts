import type { Job, JobFilter, JobSelector, Store } from "@sched/core";
import type { Command } from "commander";
import type { ModuleLoader } from "./load-module.js";
import { Messages } from "./messages.js";
import type { Output } from "./output.js";
import {
  attributeToFlags,
  type ConnectionFlags,
  type Env,
  environmentWith,
  openSession,
  type Session,
} from "./session.js";

/** What every command is given: where it reads its settings and writes its output. */
export interface CommandContext {
  /** The environment (`process.env` for the binary). */
  readonly env: Env;
  readonly output: Output;
  /**
   * Whether `--json` was given: messages on standard error are then JSON objects, one a line
   * (see {@link Messages}). Decided from the arguments before parsing; `false` when left out.
   */
  readonly json?: boolean;
  /** The current time in ms since the epoch: for `--since 1h` and ages. */
  now(): number;
  /** Imports an optional package (`@sched/http`); a seam for tests. */
  readonly load: ModuleLoader;
  /** Ends `sched serve`; without it, SIGINT or SIGTERM does. */
  readonly signal?: AbortSignal;
  /** A store to use instead of the one the environment selects (left open). */
  readonly store?: Store;
}

/** The options every command takes. */
export interface GlobalFlags extends ConnectionFlags {
  /** Print results as JSON. */
  json?: boolean;
}

/** The global flags of a command, with its own options. */
export function flagsOf<T extends object>(command: Command): GlobalFlags & T {
  return command.optsWithGlobals() as GlobalFlags & T;
}

/** The messages of this run (text, or JSON lines with `--json`), on standard error. */
export function messagesOf(context: CommandContext): Messages {
  return new Messages(context.output, context.json === true);
}

/**
 * Opens a session for `command`, runs `body` with it, and closes it whatever happens. An error
 * about a value a flag gave names the flag, not its variable.
 */
export async function withSession(
  context: CommandContext,
  command: Command,
  body: (session: Session, flags: GlobalFlags) => Promise<void>,
): Promise<void> {
  const flags = flagsOf(command);
  const settings = environmentWith(context.env, flags);
  const session = await openSession(settings, messagesOf(context), context.store);
  try {
    await body(session, flags);
  } catch (err) {
    throw attributeToFlags(err, settings.flagOf);
  } finally {
    await session.close();
  }
}

/** Prints `value` as JSON with `--json`, or the text `human()` renders otherwise. */
export function print(
  context: CommandContext,
  flags: GlobalFlags,
  value: unknown,
  human: () => string,
): void {
  context.output.out(flags.json ? JSON.stringify(value, null, 2) : human());
}

/**
 * After a bulk retry begun at `started`: warns (on stderr) when jobs the selector matched are
 * still dead or cancelled since before it, which happens to a job whose `uniqueKey` an active job
 * holds (it stays, and is not counted). A job that ran again and ended meanwhile is not one of
 * them. The first page of 100 matching jobs is read to tell.
 */
export async function warnOfJobsLeft(
  context: CommandContext,
  scheduler: { listJobs(filter: JobFilter): Promise<{ jobs: readonly Job[] }> },
  selector: JobSelector,
  started: Date,
): Promise<void> {
  // Without a status a bulk retry takes dead jobs only (see Scheduler.retryJobs).
  const status = selector.status ?? "dead";
  const page = await scheduler.listJobs({ ...selector, status, limit: 100 } as JobFilter);
  const left = page.jobs.filter(
    (job) => job.uniqueKey !== null && (job.completedAt === null || job.completedAt < started),
  );
  if (left.length === 0) return;
  messagesOf(context).warning(
    `some jobs the filters select stay ${left[0]?.status}: an active job holds their uniqueKey (such as job ${left[0]?.id})`,
  );
}
