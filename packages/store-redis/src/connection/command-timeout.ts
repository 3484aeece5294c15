import { ConfigError, type Duration, parseDuration } from "@sched/core/adapter";

/** The default `commandTimeout` of the store and the leader: the longest a call waits for Redis (ms). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
/** The longest timer Node.js runs as asked (about 24.8 days), in ms. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Parses a `commandTimeout` option (default {@link DEFAULT_COMMAND_TIMEOUT_MS}) into whole ms;
 * 0 stands for no bound.
 *
 * @throws ConfigError (`CONFIG_INVALID`, field `commandTimeout`) for a value that is not a
 *   duration (a number of ms >= 0, or a string with a unit such as `"3s"`), or one past about 24.8 days.
 */
export function commandTimeoutOption(value: Duration | undefined): number {
  const ms = Math.ceil(durationOption(value, DEFAULT_COMMAND_TIMEOUT_MS, "commandTimeout"));
  if (ms > MAX_TIMEOUT_MS) {
    throw new ConfigError("commandTimeout", `expected at most ${MAX_TIMEOUT_MS}ms, got ${ms}ms`);
  }
  return ms;
}

/**
 * Parses a duration option in ms (`fallback` when absent), reporting a bad one as a
 * {@link ConfigError} like every other option.
 *
 * @throws ConfigError (`CONFIG_INVALID`) with `field` for a value that is not a duration.
 */
export function durationOption(value: Duration | undefined, fallback: Duration, field: string): number {
  try {
    return parseDuration(value ?? fallback, field);
  } catch (err) {
    throw new ConfigError(field, (err as Error).message.replace(`${field}: `, ""), { cause: err });
  }
}
