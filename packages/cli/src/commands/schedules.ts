import { formatDuration, type ScheduleState } from "@sched/core";
import type { Command } from "commander";
import { type CommandContext, flagsOf, print, withSession } from "../context.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { formatTime, knownNames } from "../format.js";
import { decimalInteger } from "../job-filters.js";
import { type Column, renderTable } from "../output.js";
import type { Session } from "../session.js";

/** When a schedule runs, in a few words: `0 9 * * 1 (Europe/Paris)`, `every 30s`, `once at …`. */
function describeDefinition(schedule: ScheduleState): string {
  const definition = schedule.definition;
  const zone = definition.timezone && definition.timezone !== "UTC" ? ` (${definition.timezone})` : "";
  switch (definition.kind) {
    case "cron":
      return `${definition.expression ?? "?"}${zone}`;
    case "interval":
      return `every ${formatDuration(definition.every ?? 0)}`;
    case "once":
      return `once at ${formatTime(definition.anchor === undefined ? null : new Date(definition.anchor))}`;
    case "daily":
      return `every ${definition.every ?? 1}d at ${definition.expression ?? "?"}${zone}`;
    default:
      return String(definition.kind);
  }
}

/**
 * A schedule as printed in JSON: its job template's payload left out unless `withPayload` (it may
 * hold personal data or secrets, as a job's payload may).
 */
export function scheduleView(schedule: ScheduleState, withPayload: boolean): unknown {
  if (withPayload) return schedule;
  const { payload: _payload, ...job } = schedule.definition.job;
  return { ...schedule, definition: { ...schedule.definition, job } };
}

/** The columns of a schedule listing. */
export const SCHEDULE_COLUMNS: readonly Column<ScheduleState>[] = [
  { header: "SCHEDULE", cell: (schedule) => schedule.name },
  { header: "STATE", cell: (schedule) => (schedule.paused ? "paused" : "active") },
  { header: "WHEN", cell: describeDefinition },
  { header: "NEXT RUN", cell: (schedule) => formatTime(schedule.nextRunAt) },
  { header: "LAST RUN", cell: (schedule) => formatTime(schedule.lastRunAt) },
  { header: "RUNS", cell: (schedule) => String(schedule.occurrences), numeric: true },
];

/** `sched schedules list|next|pause|resume|trigger`. */
export function registerScheduleCommands(program: Command, context: CommandContext): void {
  const schedules = program
    .command("schedules")
    .description("list, preview, pause, resume and trigger schedules");

  schedules
    .command("list")
    .description("every schedule with its state, next and last run")
    .option("--payload", "include the payloads of the schedules' jobs in --json (hidden by default)")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<{ payload?: boolean }>(command);
      await withSession(context, command, async (session) => {
        const list = await session.scheduler.listSchedules();
        const shown = list.map((schedule) => scheduleView(schedule, flags.payload === true));
        print(context, flags, shown, () => renderTable(list, SCHEDULE_COLUMNS, "no schedules"));
      });
    });

  schedules
    .command("next <name>")
    .description("the next run times of a schedule")
    .option("-n, --count <n>", "how many run times (1-100)", "5")
    .action(async (name: string, _options: unknown, command: Command) => {
      const flags = flagsOf<{ count: string }>(command);
      const count = decimalInteger(flags.count);
      if (!Number.isInteger(count) || count < 1 || count > 100) {
        throw usageError(`--count: expected an integer from 1 to 100, got "${flags.count}"`);
      }
      await withSession(context, command, async (session) => {
        const next = await onSchedule(session, name, () => session.scheduler.previewSchedule(name, count));
        print(context, flags, { name, next }, () =>
          next.length === 0
            ? `schedule ${name} has no next run`
            : next.map((date) => formatTime(date)).join("\n"),
        );
      });
    });

  for (const action of ["pause", "resume"] as const) {
    schedules
      .command(`${action} <name>`)
      .description(action === "pause" ? "stop a schedule's ticks" : "restart a paused schedule's ticks")
      .action(async (name: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        await withSession(context, command, async (session) => {
          const schedule = await onSchedule(session, name, () =>
            action === "pause"
              ? session.scheduler.pauseSchedule(name)
              : session.scheduler.resumeSchedule(name),
          );
          print(
            context,
            flags,
            scheduleView(schedule, false),
            () => `schedule ${name} is ${schedule.paused ? "paused" : "active"}`,
          );
        });
      });
  }

  schedules
    .command("trigger <name>")
    .description("enqueue a schedule's job now, outside its timetable")
    .action(async (name: string, _options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const job = await onSchedule(session, name, () => session.scheduler.triggerSchedule(name));
        const { payload: _payload, ...shown } = job;
        print(context, flags, shown, () => `schedule ${name} enqueued job ${job.id}`);
      });
    });
}

/**
 * Runs `body`, a call on schedule `name`. When no schedule has that name (the store changes
 * nothing then), the error lists the schedules there are, for a typo.
 *
 * @throws CliError (not found, code `SCHEDULE_NOT_FOUND`) when the schedule does not exist;
 *   whatever `body` throws otherwise.
 */
async function onSchedule<T>(session: Session, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== "SCHEDULE_NOT_FOUND") throw err;
    const names = (await session.scheduler.listSchedules()).map((schedule) => schedule.name).sort();
    const listed = knownNames(names, "schedules", "sched schedules list", "the store has no schedules");
    throw new CliError(
      ExitCode.notFound,
      "SCHEDULE_NOT_FOUND",
      `schedule "${name}" was not found; ${listed}`,
      {
        cause: err,
      },
    );
  }
}
