import { JOB_STATUSES, type Job, type JobStatus } from "@sched/core";
import type { Command } from "commander";
import { type CommandContext, flagsOf, print, warnOfJobsLeft, withSession } from "../context.js";
import { type CliError, notFound, refusal, usageError } from "../exit-codes.js";
import { namingFlags } from "../flag-errors.js";
import {
  FLAG_OF_JOB_FIELD,
  type JobFilterFlags,
  type JobPageFlags,
  pageRequestOf,
  selectorOf,
  withJobFilters,
} from "../job-filters.js";
import { JOB_COLUMNS, jobView, renderJob } from "../job-view.js";
import type { JobSelector } from "../operations-api.js";
import { renderTable } from "../output.js";
import type { Session } from "../session.js";

interface PayloadFlag {
  payload?: boolean;
}

/**
 * `sched jobs list|get|retry|cancel|promote|delete`. Actions on one job exit 3 when it does not
 * exist and 1 when it is in a status the action does not apply to (see {@link actOnJob}).
 */
export function registerJobCommands(program: Command, context: CommandContext): void {
  const jobs = program.command("jobs").description("list, inspect, retry, cancel, promote and delete jobs");

  withJobFilters(jobs.command("list").description("list jobs, oldest first, a page at a time"))
    .option("--limit <n>", "at most this many jobs (1-1000, default 100)")
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    // Checked with the other flags (not by commander), so that a bad value reads as theirs do.
    .option("--order <order>", "oldest first (asc, the default) or newest first (desc)")
    .option("--payload", "include the payloads (hidden by default)")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<JobPageFlags & PayloadFlag>(command);
      const request = pageRequestOf(flags, context.now());
      await withSession(context, command, async (session) => {
        const page = await namingFlags(FLAG_OF_JOB_FIELD, () => session.scheduler.listJobs(request));
        const shown = page.jobs.map((job) => jobView(job, flags.payload === true));
        print(context, flags, { jobs: shown, nextCursor: page.nextCursor }, () =>
          renderTable(page.jobs, JOB_COLUMNS, "no jobs match"),
        );
        if (!flags.json && page.nextCursor !== null) {
          // A cursor continues pages in its own order: the hint keeps --order desc with it.
          const order = flags.order === "desc" ? " --order desc" : "";
          context.output.err(`more jobs: add --cursor ${page.nextCursor}${order}`);
        }
      });
    });

  jobs
    .command("get <id>")
    .description("show a job: its fields, failed attempts and (with --payload) payload")
    .option("--payload", "include the payload (hidden by default)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const flags = flagsOf<PayloadFlag>(command);
      await withSession(context, command, async (session) => {
        const job = await session.scheduler.getJob(id);
        if (job === null) throw jobNotFound(id);
        print(context, flags, jobView(job, flags.payload === true), () =>
          renderJob(job, flags.payload === true),
        );
      });
    });

  withJobFilters(
    jobs
      .command("retry [id]")
      .description(
        "move a dead or cancelled job back to pending; or, with filters, every dead one they select (cancelled ones with --status cancelled)",
      ),
    "dead jobs (cancelled ones only with --status cancelled)",
  ).action(async (id: string | undefined, _options: unknown, command: Command) => {
    const flags = flagsOf<JobFilterFlags>(command);
    const selector = selectorOf(flags, context.now());
    await withSession(context, command, async (session) => {
      if (id !== undefined) {
        if (Object.keys(selector).length > 0) throw usageError("give a job id or filters, not both");
        const retried = await actOnJob(session, id, RETRY);
        print(context, flags, jobView(retried, false), () => `retried job ${id}: now ${retried.status}`);
        return;
      }
      requireFilter(selector, "sched jobs retry");
      const started = new Date();
      const count = await namingFlags(FLAG_OF_JOB_FIELD, () => session.scheduler.retryJobs(selector));
      print(context, flags, { count }, () => `retried ${count} job${count === 1 ? "" : "s"}`);
      await warnOfJobsLeft(context, session.scheduler, selector, started);
    });
  });

  jobs
    .command("cancel <id>")
    .description("cancel a waiting or running job (a running handler is aborted)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const job = await actOnJob(session, id, CANCEL);
        print(context, flags, jobView(job, false), () => `job ${id} is ${job.status}`);
      });
    });

  jobs
    .command("promote <id>")
    .description("run a scheduled or retry-waiting job now")
    .action(async (id: string, _options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const job = await actOnJob(session, id, PROMOTE);
        print(context, flags, jobView(job, false), () => `job ${id} is due now (${job.status})`);
      });
    });

  withJobFilters(
    jobs
      .command("delete [id]")
      .description(
        "delete a job that is not running; or, with filters, every one they select (never running ones); needs --yes",
      ),
    "jobs",
  )
    .option("--yes", "confirm the deletion")
    .action(async (id: string | undefined, _options: unknown, command: Command) => {
      const flags = flagsOf<JobFilterFlags & { yes?: boolean }>(command);
      const selector = selectorOf(flags, context.now());
      if (id !== undefined && Object.keys(selector).length > 0)
        throw usageError("give a job id or filters, not both");
      if (id === undefined) requireFilter(selector, "sched jobs delete");
      if (flags.yes !== true)
        throw usageError("sched jobs delete deletes jobs for good; add --yes to confirm");
      await withSession(context, command, async (session) => {
        if (id !== undefined) {
          const deleted = await actOnJob(session, id, DELETE);
          print(
            context,
            flags,
            jobView(deleted, false),
            () => `deleted job ${id} (it was ${deleted.status})`,
          );
          return;
        }
        const count = await namingFlags(FLAG_OF_JOB_FIELD, () => session.scheduler.deleteJobs(selector));
        print(context, flags, { count }, () => `deleted ${count} job${count === 1 ? "" : "s"}`);
      });
    });
}

/** Refuses a bulk operation without a filter: it would touch every job of the store. */
function requireFilter(selector: JobSelector, command: string): void {
  if (Object.keys(selector).length === 0) {
    throw usageError(`${command} needs a job id or at least one filter (--status, --queue, --name, ...)`);
  }
}

/**
 * An action on one job: the statuses it applies to (as @sched/core defines them), and the `code`
 * of its refusal for a job in any other status.
 */
interface JobAction {
  appliesTo: readonly JobStatus[];
  /** The `code` of the refusal. */
  refusal: string;
  /** The refusal's message for job `id` in `status`: what it is, and what the action needs. */
  refused(id: string, status: JobStatus): string;
  run(scheduler: Session["scheduler"], id: string): Promise<Job>;
}

const RETRY: JobAction = {
  appliesTo: ["dead", "cancelled"],
  refusal: "NOT_RETRYABLE",
  refused: (id, status) => `job ${id} is ${status}; only dead or cancelled jobs can be retried`,
  run: (scheduler, id) => scheduler.retryJob(id),
};

const PROMOTE: JobAction = {
  appliesTo: ["scheduled", "failed"],
  refusal: "NOT_PROMOTABLE",
  refused: (id, status) =>
    `job ${id} is ${status}; only scheduled jobs and failed ones waiting for a retry can be promoted`,
  run: (scheduler, id) => scheduler.promoteJob(id),
};

// Cancelling a cancelled job changes nothing and is not refused, as pausing a paused queue is not.
const CANCEL: JobAction = {
  appliesTo: ["scheduled", "pending", "running", "failed", "cancelled"],
  refusal: "NOT_CANCELLABLE",
  refused: (id, status) => `job ${id} is ${status}, which is final; only unfinished jobs can be cancelled`,
  run: (scheduler, id) => scheduler.cancel(id),
};

const DELETE: JobAction = {
  appliesTo: JOB_STATUSES.filter((status) => status !== "running"),
  refusal: "NOT_DELETABLE",
  refused: (id, status) => `job ${id} is ${status}; cancel it before deleting it`,
  run: (scheduler, id) => scheduler.deleteJob(id),
};

function refusalOf(action: JobAction, id: string, status: JobStatus): CliError {
  return refusal(action.refusal, action.refused(id, status));
}

/**
 * Runs `action` on job `id` and returns the job afterwards, with the exit codes of the README:
 * a malformed id is a usage error (2), a missing job not found (3), a job in a status the action
 * does not apply to a refusal (1, code `action.refusal`), checked before the action and again
 * when the job changed status meanwhile.
 */
async function actOnJob(session: Session, id: string, action: JobAction): Promise<Job> {
  // getJob checks the id (INVALID_ARGUMENT, a usage error, for an id no job can have).
  const before = await session.scheduler.getJob(id);
  if (before === null) throw jobNotFound(id);
  if (!action.appliesTo.includes(before.status)) throw refusalOf(action, id, before.status);
  let after: Job;
  try {
    after = await action.run(session.scheduler, id);
  } catch (err) {
    // The job moved meanwhile to a status the action does not apply to.
    if ((err as { code?: unknown } | null)?.code !== "INVALID_JOB_STATE") throw err;
    const now = await session.scheduler.getJob(id);
    if (now === null) throw jobNotFound(id);
    throw refusalOf(action, id, now.status);
  }
  // A cancel returns a job that became final meanwhile unchanged, without an error.
  if (action === CANCEL && after.status !== "cancelled") throw refusalOf(action, id, after.status);
  return after;
}

function jobNotFound(id: string): CliError {
  return notFound("JOB_NOT_FOUND", `job "${id}" was not found`);
}
