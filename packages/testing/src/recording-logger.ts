import type { Logger } from "@sched/core";

/** One call of a {@link RecordingLogger}. */
export interface LogLine {
  /** The method called. */
  level: "debug" | "info" | "warn" | "error";
  /** The message, as given. */
  message: string;
  /** The fields, as given; absent when the call had none. */
  fields?: Record<string, unknown>;
}

/** A {@link Logger} that keeps what it is told in {@link RecordingLogger.lines}. */
export interface RecordingLogger extends Logger {
  /** Every call so far, oldest first. Empty it with `lines.length = 0`. */
  readonly lines: LogLine[];
}

/**
 * A {@link Logger} that prints nothing and records every call as a {@link LogLine}
 * (`{ level, message, fields }`), for asserting on what the scheduler, a store or a leader logs,
 * or just for keeping test output quiet. Pass it as the `logger` option.
 *
 * @example
 * ```ts
 * const logger = recordingLogger();
 * const leader = new PostgresLeader({ connectionString: "postgres://127.0.0.1:1/test", logger });
 * expect(await leader.acquire()).toBe(false);
 * expect(logger.lines).toEqual([expect.objectContaining({ level: "warn" })]);
 * ```
 */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const method =
    (level: LogLine["level"]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return {
    lines,
    debug: method("debug"),
    info: method("info"),
    warn: method("warn"),
    error: method("error"),
  };
}
