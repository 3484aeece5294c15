import type { Command } from "commander";
import { type CommandContext, flagsOf, print, withSession } from "../context.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import {
  type JobFilterFlags,
  type JobPageFlags,
  pageRequestOf,
  selectorOf,
  withJobFilters,
} from "../job-filters.js";
import { JOB_COLUMNS, jobView, renderJob } from "../job-view.js";
import type { JobSelector } from "../operations-api.js";
import { renderTable } from "../output.js";

interface PayloadFlag {
  payload?: boolean;
}

/** `sched jobs list|get|retry|cancel|promote|delete`. */
export function registerJobCommands(program: Command, context: CommandContext): void {
  const jobs = program.command("jobs").description("list, inspect, retry, cancel, promote and delete jobs");

  withJobFilters(jobs.command("list").description("list jobs, oldest first, a page at a time"))
    .option("--limit <n>", "at most this many jobs (1-1000, default 100)")
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--order <order>", "asc (oldest first, the default) or desc")
    .option("--payload", "include the payloads (hidden by default)")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<JobPageFlags & PayloadFlag>(command);
      const request = pageRequestOf(flags, context.now());
      await withSession(context, command, async (session) => {
        const page = await session.scheduler.listJobs(request);
        const shown = page.jobs.map((job) => jobView(job, flags.payload === true));
        print(context, flags, { jobs: shown, nextCursor: page.nextCursor }, () =>
          renderTable(page.jobs, JOB_COLUMNS, "no jobs match"),
        );
        if (!flags.json && page.nextCursor !== null) {
          context.output.err(`more jobs: add --cursor ${page.nextCursor}`);
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
        if (job === null) throw new CliError(ExitCode.notFound, "JOB_NOT_FOUND", `job "${id}" was not found`);
        print(context, flags, jobView(job, flags.payload === true), () =>
          renderJob(job, flags.payload === true),
        );
      });
    });

  withJobFilters(
    jobs
      .command("retry [id]")
      .description("move a dead or cancelled job back to pending; or, with filters, every one they select"),
    "dead or cancelled jobs",
  ).action(async (id: string | undefined, _options: unknown, command: Command) => {
    const flags = flagsOf<JobFilterFlags>(command);
    const selector = selectorOf(flags, context.now());
    await withSession(context, command, async (session) => {
      if (id !== undefined) {
        if (Object.keys(selector).length > 0) throw usageError("give a job id or filters, not both");
        const job = await session.scheduler.getJob(id);
        if (job === null) throw new CliError(ExitCode.notFound, "JOB_NOT_FOUND", `job "${id}" was not found`);
        if (job.status !== "dead" && job.status !== "cancelled") {
          throw new CliError(
            ExitCode.failure,
            "NOT_RETRYABLE",
            `job ${id} is ${job.status}; only dead or cancelled jobs can be retried`,
          );
        }
        const retried = await session.scheduler.retryJob(id);
        print(context, flags, jobView(retried, false), () => `retried job ${id}: now ${retried.status}`);
        return;
      }
      requireFilter(selector, "sched jobs retry");
      const count = await session.scheduler.retryJobs(selector);
      print(context, flags, { count }, () => `retried ${count} job${count === 1 ? "" : "s"}`);
    });
  });

  jobs
    .command("cancel <id>")
    .description("cancel a waiting or running job (a running handler is aborted)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const job = await session.scheduler.cancel(id);
        print(context, flags, jobView(job, false), () => `job ${id} is ${job.status}`);
      });
    });

  jobs
    .command("promote <id>")
    .description("run a scheduled or retry-waiting job now")
    .action(async (id: string, _options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const job = await session.scheduler.promoteJob(id);
        print(context, flags, jobView(job, false), () => `job ${id} is due now (${job.status})`);
      });
    });

  withJobFilters(
    jobs
      .command("delete")
      .description("delete every job the filters select (never running ones); needs --yes"),
    "jobs",
  )
    .option("--yes", "confirm the deletion")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<JobFilterFlags & { yes?: boolean }>(command);
      const selector = selectorOf(flags, context.now());
      requireFilter(selector, "sched jobs delete");
      if (flags.yes !== true)
        throw usageError("sched jobs delete deletes jobs for good; add --yes to confirm");
      await withSession(context, command, async (session) => {
        const count = await session.scheduler.deleteJobs(selector);
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
