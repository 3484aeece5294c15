// @ts-check
/**
 * @sched schedules: a 6-field cron (seconds first) ticking every second, `every(2).seconds()`, a
 * cron in a time zone, a one-time `at(date)` job; each tick prints its scheduled time. After a few
 * seconds the scheduler stops and the process exits on its own.
 *
 * Run: `pnpm --filter @sched/example-cron start` (after building @sched/core).
 */
import { createScheduler } from "@sched/core";

/** How long the demo lets the schedules tick. */
const RUN_FOR_MS = Number(process.env.CRON_EXAMPLE_RUN_MS ?? 6_500);

const startedAt = Date.now();

/** Prints a line with the time since start. */
function log(/** @type {string} */ message) {
  console.log(`[+${String(Date.now() - startedAt).padStart(5)} ms] ${message}`);
}

/** A wall-clock time in a time zone, e.g. "09:00:00 GMT-4". */
function wallTime(/** @type {Date} */ date, /** @type {string} */ timeZone) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "shortOffset",
  }).format(date);
}

/** How late a tick's job started, against the time the schedule planned for it. */
function lateness(/** @type {import("@sched/core").Job} */ job) {
  return `${Date.now() - job.scheduledAt.getTime()} ms late`;
}

// The example must end on its own; if it does not, say so and fail instead of hanging.
const watchdog = setTimeout(() => {
  console.error("the example did not finish in time");
  process.exit(1);
}, RUN_FOR_MS + 5_000);
watchdog.unref();

const scheduler = createScheduler({ workers: 5 });

// Six fields: second, minute, hour, day of month, month, day of week.
await scheduler.schedule("heartbeat", "*/1 * * * * *", (job) => {
  log(`tick heartbeat      scheduled ${job.scheduledAt.toISOString()} (${lateness(job)})`);
});

// A fixed interval, counted from when it was defined.
await scheduler
  .every(2)
  .seconds()
  .do("sync_inventory", (job) => {
    log(`tick sync_inventory scheduled ${job.scheduledAt.toISOString()} (${lateness(job)})`);
  });

// Cron fields are read in the schedule's time zone: "every 3 seconds" is the same everywhere,
// so the tick prints its wall-clock time in Tokyo...
await scheduler.schedule(
  "tokyo_tick",
  "*/3 * * * * *",
  (job) => {
    log(
      `tick tokyo_tick     scheduled ${wallTime(job.scheduledAt, "Asia/Tokyo")} in Tokyo (${lateness(job)})`,
    );
  },
  { timezone: "Asia/Tokyo" },
);

// ...while a daily time depends on it: 09:00 on weekdays in New York (it will not fire during the demo).
const report = await scheduler.schedule(
  "ny_morning_report",
  "0 9 * * 1-5",
  () => {
    log("tick ny_morning_report");
  },
  { timezone: "America/New_York" },
);
if (report.nextRunAt) {
  log(
    `ny_morning_report next runs at ${report.nextRunAt.toISOString()} = ` +
      `${wallTime(report.nextRunAt, "America/New_York")} in New York`,
  );
}

// A one-time job, 2.5 s from now.
const launchAt = new Date(Date.now() + 2_500);
await scheduler.at(launchAt).do("launch_announcement", (job) => {
  log(`run  launch_announcement (one time) scheduled ${job.scheduledAt.toISOString()} (${lateness(job)})`);
});

await scheduler.start();
log(`scheduler started; stopping in ${RUN_FOR_MS} ms`);

await new Promise((resolve) => setTimeout(resolve, RUN_FOR_MS));

await scheduler.stop({ timeout: "5s" });
for (const schedule of await scheduler.listSchedules()) {
  const next = schedule.nextRunAt ? schedule.nextRunAt.toISOString() : "none (finished)";
  log(`schedule ${schedule.name.padEnd(19)} next run ${next}`);
}
log("scheduler stopped; the process exits on its own");
