/**
 * Ready-made cron expressions for the common cadences, so that call sites read as intent
 * (`parseCron(Daily)`) and never carry a hand-typed expression with a transposed field.
 */

/** Every minute, at second 0: `* * * * *`. An interval expression: it follows real time across DST. */
export const EveryMinute = "* * * * *";

/** At minute 0 of every hour: `0 * * * *`. An interval expression: both passes of a repeated hour fire. */
export const Hourly = "0 * * * *";

/** At local midnight every day: `0 0 * * *`. Fixed-time: a skipped midnight fires when the day begins. */
export const Daily = "0 0 * * *";

/** At local midnight every Sunday: `0 0 * * 0`. Fixed-time. */
export const Weekly = "0 0 * * 0";

/** At local midnight on the 1st of every month: `0 0 1 * *`. Fixed-time. */
export const Monthly = "0 0 1 * *";

/** At local midnight on January 1st: `0 0 1 1 *`. Fixed-time. */
export const Yearly = "0 0 1 1 *";
