import { ConfigError } from "../errors.js";
import type { Logger } from "./logger.js";

/** The methods every {@link Logger} has. */
const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * Checks that `value` can serve as a {@link Logger}: an object with `debug`, `info`, `warn` and
 * `error` functions (console and pino fit). A property that throws when read counts as missing.
 *
 * @param field - the option name reported, default `"logger"`.
 * @throws ConfigError (`CONFIG_INVALID`, `field`) naming the missing methods, never quoting the value.
 */
export function assertLogger(value: unknown, field = "logger"): asserts value is Logger {
  const hint = "an object with debug, info, warn and error methods (console and pino fit)";
  if (value === null || typeof value !== "object") {
    throw new ConfigError(field, `expected ${hint}, got ${value === null ? "null" : typeof value}`);
  }
  const missing = LOG_LEVELS.filter((level) => {
    try {
      return typeof (value as Record<string, unknown>)[level] !== "function";
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new ConfigError(field, `expected ${hint}; it has no ${missing.join(", ")} method`);
  }
}

/**
 * Wraps a logger so that it can never break its caller: a method that throws, or returns a promise
 * that rejects (an async logger), loses the line and nothing else.
 *
 * @param logger - a logger that passed {@link assertLogger}.
 * @returns a logger whose four methods never throw.
 */
export function safeLogger(logger: Logger): Logger {
  const wrap =
    (level: (typeof LOG_LEVELS)[number]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      try {
        const result: unknown =
          fields === undefined ? logger[level](message) : logger[level](message, fields);
        // An async logger that rejects must not become an unhandled rejection.
        if (
          result !== null &&
          typeof result === "object" &&
          typeof (result as Promise<unknown>).catch === "function"
        ) {
          (result as Promise<unknown>).catch(() => {});
        }
      } catch {
        // The logger's failure is its own.
      }
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
