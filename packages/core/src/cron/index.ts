/**
 * The cron engine of `@sched/core`: parsing with cron-parser, next runs computed here so that
 * they follow docs/architecture.md §3 across DST changes in every IANA zone.
 */
export { Daily, EveryMinute, Hourly, Monthly, Weekly, Yearly } from "./constants.js";
export { type CronKind, type CronSchedule, type ParseCronOptions, parseCron } from "./cron.js";
export { validateTimezone } from "./time-zone.js";
